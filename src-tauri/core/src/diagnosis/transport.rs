//! The network under everything: name lookup, the TCP connection, the TLS handshake and its certificate, and
//! time limits. [`Diagnosis::from_reqwest`] and [`Diagnosis::from_io_error`] classify an error by walking its
//! `source()` chain for `io::ErrorKind`s and rustls errors (by type, then by text).

use std::error::Error as StdError;
use std::io;
use std::time::Duration;

use tokio_rustls::rustls;

use super::links;
use super::{excerpt, Diagnosis, Fixer, Text};

const CHECK_CONNECTION: &str = "Check that this computer is online: open any website in a browser.";
const CHECK_SERVER: &str = "Check the server name and port in the account's settings (Microsoft 365 and \
    Outlook.com: IMAP outlook.office365.com port 993, POP outlook.office365.com port 995, SMTP \
    smtp.office365.com port 587; Outlook.com sends through smtp-mail.outlook.com port 587).";
const ASK_NETWORK: &str =
    "On a company network or VPN, ask your IT department whether connections to {host} \
                           are allowed, or try from another network.";

const TIMEOUT: Text = Text {
    title: "No answer from {host} in time",
    explanation: "Mailgrant waited{after} for {waiting_for} and gave up. {hint}",
    fixer: Fixer::You,
    steps: &[
        CHECK_CONNECTION,
        "Try again in a few minutes.",
        ASK_NETWORK,
        CHECK_SERVER,
    ],
    links: &[links::SERVICE_STATUS],
    retryable: true,
};

/// What a timeout at each stage usually means: `(words in the stage name, hint)`. The last is for any stage.
const STAGE_HINTS: &[(&[&str], &str, &str)] = &[
    (
        &["dns", "lookup", "resolv"],
        "looking up the address of {host}",
        "The network's name service (DNS) is slow or not reachable.",
    ),
    (
        &["tcp", "connect"],
        "the connection to {host}",
        "The connection couldn't be made in time: the network may be down, a firewall may be silently dropping \
         it, or the port may be wrong.",
    ),
    (
        &["tls", "handshake", "starttls"],
        "the secure connection (TLS) with {host}",
        "Something on the network, such as a proxy or a firewall that inspects traffic, may be holding the \
         secure connection up.",
    ),
    (
        &[],
        "the {stage} from {host}",
        "The server is slow or busy, or the connection is very slow.",
    ),
];

const DNS: Text = Text {
    title: "Can't find {host_named}",
    explanation:
        "This computer couldn't look up the address of {host}. There may be no internet connection, the \
                  network's name service (DNS) may not be working, or the server name may be misspelled.",
    fixer: Fixer::You,
    steps: &[CHECK_CONNECTION, CHECK_SERVER, ASK_NETWORK, "Try again."],
    links: &[],
    retryable: false,
};

const CERT_INSPECTION: &str = "On a company network that inspects encrypted traffic (TLS inspection), ask your \
    IT department for the root certificate it uses (a .pem file) and give it to Mailgrant with the `--ca-file` \
    option.";
const CERT_CLOCK: &str = "Check that this computer's date, time and time zone are right (turn on 'Set time \
                          automatically').";
const CERT_HOST: &str = "Check the server name in the account's settings: the certificate must be made out to that \
                         name. Use the name itself (such as outlook.office365.com), not an IP address or an old \
                         alias.";
const CERT_DONT_BYPASS: &str =
    "Don't work around this by turning certificate checks off: a certificate that \
                                doesn't verify can also mean someone is intercepting the connection.";

const TLS_CERTIFICATE: Text = Text {
    title: "The security certificate of {host} isn't trusted",
    explanation:
        "When connecting securely to {host}, the certificate it presented couldn't be verified{detail}. \
                  The usual causes: a company network that inspects encrypted traffic and presents its own \
                  certificate (TLS inspection), a wrong date or time on this computer, or a server name that \
                  doesn't match the certificate.",
    fixer: Fixer::You,
    steps: &[CERT_INSPECTION, CERT_CLOCK, CERT_HOST, CERT_DONT_BYPASS],
    links: &[],
    retryable: false,
};

const TLS_CERTIFICATE_CLOCK: Text = Text {
    steps: &[CERT_CLOCK, CERT_INSPECTION, CERT_HOST, CERT_DONT_BYPASS],
    ..TLS_CERTIFICATE
};

const TLS_CERTIFICATE_HOST: Text = Text {
    steps: &[CERT_HOST, CERT_INSPECTION, CERT_CLOCK, CERT_DONT_BYPASS],
    ..TLS_CERTIFICATE
};

const TLS: Text = Text {
    title: "A secure connection to {host} couldn't be set up",
    explanation: "The encrypted connection to {host} failed before any mail data was exchanged{detail}. Usually the \
                  port expects another kind of connection (port 587 starts unencrypted and switches with STARTTLS, \
                  while 993 and 995 are encrypted from the start), or a proxy or firewall interferes.",
    fixer: Fixer::You,
    steps: &[CHECK_SERVER, ASK_NETWORK, "Try again."],
    links: &[],
    retryable: false,
};

const REFUSED: Text = Text {
    title: "{host} refused the connection",
    explanation:
        "{Host_named} answered, but nothing there accepts connections on {port}. The port is probably \
                  wrong for this service, or a firewall rejects the connection.",
    fixer: Fixer::You,
    steps: &[
        CHECK_SERVER,
        "Check whether a firewall or antivirus program on this computer blocks the connection.",
        ASK_NETWORK,
    ],
    links: &[],
    retryable: false,
};

const RESET: Text = Text {
    title: "The connection to {host} was cut off",
    explanation:
        "The connection to {host} ({port}) was closed abruptly. A firewall, proxy or antivirus program may \
                  have cut it, or the server dropped it.",
    fixer: Fixer::You,
    steps: &["Try again.", ASK_NETWORK, CHECK_SERVER],
    links: &[],
    retryable: true,
};

const UNREACHABLE: Text = Text {
    title: "Can't reach {host}",
    explanation: "No connection to {host} could be made{detail}. This computer may be offline, or a VPN or \
                  firewall may be in the way.",
    fixer: Fixer::You,
    steps: &[CHECK_CONNECTION, ASK_NETWORK, "Try again."],
    links: &[],
    retryable: true,
};

const BROKEN: Text = Text {
    title: "The answer from {host} was cut off",
    explanation:
        "{host} started answering, but the answer broke off or couldn't be read{detail}. This is usually \
                  a passing network problem, or a proxy interfering.",
    fixer: Fixer::You,
    steps: &["Try again.", ASK_NETWORK],
    links: &[],
    retryable: true,
};

const NETWORK: Text = Text {
    title: "Something went wrong talking to {host}",
    explanation: "The request to {host} failed{detail}.",
    fixer: Fixer::You,
    steps: &["Try again.", CHECK_CONNECTION, ASK_NETWORK],
    links: &[],
    retryable: false,
};

const PLAIN_HTTP: Text = Text {
    title: "Mailgrant won't send secrets to {host} over plain http://",
    explanation: "The address of {host} starts with http://, not https://: client secrets, sign-in codes, refresh \
                  tokens and access tokens would cross the network unencrypted, readable by anyone on the way. \
                  Only an address on this computer (localhost) may use http://.",
    fixer: Fixer::You,
    steps: &[
        "Change the address to start with https:// (for a custom cloud: its sign-in address and Microsoft Graph \
         address, where the custom cloud was set up).",
        "If the server has no https:// address, ask whoever runs it for one: it must not receive secrets \
         otherwise.",
    ],
    links: &[],
    retryable: false,
};

/// The named transport codes, for `mailgrant explain`.
const NAMED: &[(&str, Text)] = &[
    ("PLAIN_HTTP", PLAIN_HTTP),
    ("TIMEOUT", TIMEOUT),
    ("DNS", DNS),
    ("TLS_CERTIFICATE", TLS_CERTIFICATE),
    ("TLS", TLS),
    ("CONNECTION_REFUSED", REFUSED),
    ("CONNECTION_RESET", RESET),
    ("CONNECT_FAILED", UNREACHABLE),
    ("CONNECTION_BROKEN", BROKEN),
    ("NETWORK", NETWORK),
];

/// Whether a request to `url` may carry secrets: https://, or http:// to this computer (a local test bed or
/// proxy: `localhost`, 127.0.0.0/8, ::1). Anything else is refused before a byte is sent.
pub fn check_secure(url: &str) -> Result<(), Box<Diagnosis>> {
    let Ok(parsed) = url::Url::parse(url) else {
        return Err(Box::new(Diagnosis::plain_http(url)));
    };
    let local = match parsed.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if local => Ok(()),
        _ => Err(Box::new(Diagnosis::plain_http(parsed.host_str().unwrap_or(url)))),
    }
}

impl Diagnosis {
    /// An answer from `host` longer than Mailgrant reads (`limit` bytes): not the service it should be.
    pub fn response_too_large(host: &str, limit: usize) -> Diagnosis {
        Diagnosis::new(
            "RESPONSE_TOO_LARGE",
            "The server's answer was far too long",
            format!(
                "{host} sent more than {} MiB where Microsoft's services answer with a few kilobytes. Mailgrant \
                 stopped reading: the address may point at something other than Microsoft's service, or a proxy \
                 in between sends something else.",
                limit / (1024 * 1024)
            ),
            Fixer::You,
        )
        .with_step("Check the address (a custom cloud's login and Graph addresses) and any proxy in between.")
        .with_retryable(true)
        .with_raw(super::RawDetail {
            server_reply: Some(format!("more than {limit} bytes from {host}")),
            ..Default::default()
        })
    }

    /// Nothing came within `after` while waiting at `stage` (`"DNS"`, `"TCP connect"`, `"TLS handshake"`,
    /// `"reply from the server"`, …).
    pub fn timeout(stage: &str, after: Duration, host: &str) -> Diagnosis {
        timed_out(stage, Some(after), host)
    }

    /// The name `host` does not resolve. `detail` is the resolver's message.
    pub fn dns(host: &str, detail: &str) -> Diagnosis {
        let mut d = render(DNS, "DNS", host, None, detail);
        let lower = detail.to_ascii_lowercase();
        d.retryable = lower.contains("temporary") || lower.contains("try again");
        d
    }

    /// `host`'s certificate did not verify. `detail` names the problem (e.g. rustls's `UnknownIssuer`,
    /// `Expired`, `NotValidForName`), which orders the steps.
    pub fn tls_certificate(host: &str, detail: &str) -> Diagnosis {
        let lower = detail.to_ascii_lowercase().replace([' ', '_', '-'], "");
        let text = if ["expired", "notvalidyet", "clock"]
            .iter()
            .any(|w| lower.contains(w))
        {
            TLS_CERTIFICATE_CLOCK
        } else if [
            "notvalidforname",
            "anothername",
            "notforthis",
            "namemismatch",
            "hostname",
        ]
        .iter()
        .any(|w| lower.contains(w))
        {
            TLS_CERTIFICATE_HOST
        } else {
            TLS_CERTIFICATE
        };
        render(text, "TLS_CERTIFICATE", host, None, detail)
    }

    /// The TLS handshake with `host` failed for a reason other than its certificate.
    pub fn tls_handshake(host: &str, detail: &str) -> Diagnosis {
        render(TLS, "TLS", host, None, detail)
    }

    /// Nothing listens on `host`:`port` (or a firewall rejects the connection).
    pub fn connection_refused(host: &str, port: u16) -> Diagnosis {
        render(REFUSED, "CONNECTION_REFUSED", host, Some(port), "")
    }

    /// The connection to `host`:`port` was reset or aborted.
    pub fn connection_reset(host: &str, port: u16) -> Diagnosis {
        render(RESET, "CONNECTION_RESET", host, Some(port), "")
    }

    /// `url` is plain http:// to another computer: nothing secret may be sent there ([`check_secure`]).
    pub fn plain_http(host: &str) -> Diagnosis {
        render(PLAIN_HTTP, "PLAIN_HTTP", host, None, "")
    }

    /// No route to `host` (offline, unreachable network).
    pub fn connect_failed(host: &str, detail: &str) -> Diagnosis {
        render(UNREACHABLE, "CONNECT_FAILED", host, None, detail)
    }

    /// A failed HTTP request to `url_host`: timeouts, DNS, refused and reset connections, certificate and other
    /// TLS problems, broken answers, and anything else.
    pub fn from_reqwest(error: &reqwest::Error, url_host: &str) -> Diagnosis {
        let port = error.url().and_then(|u| u.port_or_known_default());
        let detail = chain_text(error);
        if let Some(kind) = classify(error) {
            return kind.diagnose(url_host, port, &detail);
        }
        let mut d = if error.is_timeout() {
            timed_out(
                if error.is_connect() {
                    "TCP connect"
                } else {
                    "answer"
                },
                None,
                url_host,
            )
        } else if error.is_connect() {
            Diagnosis::connect_failed(url_host, &detail)
        } else if error.is_body() || error.is_decode() {
            render(BROKEN, "CONNECTION_BROKEN", url_host, None, &detail)
        } else {
            render(NETWORK, "NETWORK", url_host, None, &detail)
        };
        d.raw.server_reply = Some(excerpt(&detail, 500));
        d
    }

    /// A failed connection to `host` (and `port`, if known) as an `io::Error` (the mail probes' sockets and TLS).
    pub fn from_io_error(error: &io::Error, host: &str, port: Option<u16>) -> Diagnosis {
        let detail = chain_text(error);
        match classify(error) {
            Some(kind) => kind.diagnose(host, port, &detail),
            None => {
                let mut d = render(NETWORK, "NETWORK", host, port, &detail);
                d.raw.server_reply = Some(excerpt(&detail, 500));
                d
            }
        }
    }
}

fn timed_out(stage: &str, after: Option<Duration>, host: &str) -> Diagnosis {
    let lower = stage.to_ascii_lowercase();
    let (_, waiting_for, hint) = STAGE_HINTS
        .iter()
        .find(|(words, _, _)| words.is_empty() || words.iter().any(|w| lower.contains(w)))
        .copied()
        .unwrap_or((&[], "the {stage} from {host}", ""));
    let stage = stage.trim().trim_start_matches("the ");
    // "reply from the server" already says where from.
    let waiting_for = if lower.contains(" from ") {
        waiting_for.replace(" from {host}", " ({host})")
    } else {
        waiting_for.to_owned()
    };
    let after = after.map(|a| format!(" {}", human(a))).unwrap_or_default();
    let waiting_for = super::fill(&waiting_for, &[("stage", stage), ("host", host)]);
    let mut d = TIMEOUT.render(
        "TIMEOUT",
        &[
            ("waiting_for", &waiting_for),
            ("hint", hint),
            ("after", &after),
            ("host", host),
        ],
    );
    d.raw.server_reply = Some(format!("no answer{after} while waiting for {waiting_for}"));
    d
}

fn render(text: Text, code: &str, host: &str, port: Option<u16>, detail: &str) -> Diagnosis {
    let port_phrase = port.map_or_else(|| "that port".to_owned(), |p| format!("port {p}"));
    let detail = detail.trim();
    let detail_phrase = if detail.is_empty() {
        String::new()
    } else {
        format!(" ({})", excerpt(detail, 200))
    };
    let host_named = if host == GENERIC_HOST {
        GENERIC_HOST.to_owned()
    } else {
        format!("the server {host}")
    };
    let host_named_cap = capitalise(&host_named);
    let mut d = text.render(
        code,
        &[
            ("host_named", &host_named),
            ("Host_named", &host_named_cap),
            ("host", host),
            ("port", &port_phrase),
            ("detail", &detail_phrase),
        ],
    );
    d.title = capitalise(&d.title);
    if !detail.is_empty() {
        d.raw.server_reply = Some(excerpt(detail, 500));
    }
    d
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn human(duration: Duration) -> String {
    let ms = duration.as_millis();
    if ms < 1000 {
        format!("{ms} ms")
    } else if ms % 1000 == 0 {
        let s = duration.as_secs();
        if s == 1 {
            "1 second".to_owned()
        } else {
            format!("{s} seconds")
        }
    } else {
        format!("{:.1} seconds", duration.as_secs_f64())
    }
}

/// What a network error is, found in its chain.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Certificate(String),
    Tls(String),
    Dns,
    Refused,
    Reset,
    TimedOut,
    Unreachable,
}

impl Kind {
    /// How telling a kind is: the most specific one found in a chain wins.
    fn rank(&self) -> u8 {
        match self {
            Kind::Certificate(_) => 0,
            Kind::Tls(_) => 1,
            Kind::Dns => 2,
            Kind::Refused => 3,
            Kind::Reset => 4,
            Kind::TimedOut => 5,
            Kind::Unreachable => 6,
        }
    }

    fn diagnose(self, host: &str, port: Option<u16>, detail: &str) -> Diagnosis {
        let mut d = match self {
            Kind::Certificate(problem) => Diagnosis::tls_certificate(host, &problem),
            Kind::Tls(problem) => Diagnosis::tls_handshake(host, &problem),
            Kind::Dns => Diagnosis::dns(host, detail),
            Kind::Refused => render(REFUSED, "CONNECTION_REFUSED", host, port, ""),
            Kind::Reset => render(RESET, "CONNECTION_RESET", host, port, ""),
            Kind::TimedOut => timed_out("TCP connect", None, host),
            Kind::Unreachable => Diagnosis::connect_failed(host, detail),
        };
        d.raw.server_reply = Some(excerpt(detail, 500)).filter(|r| !r.is_empty());
        d
    }
}

/// The errors of a chain, outermost first. An `io::Error`'s own `source()` skips the error it wraps (often
/// another `io::Error`, or rustls's error), so the chain goes through `get_ref()` instead.
fn chain<'a>(error: &'a (dyn StdError + 'static)) -> Vec<&'a (dyn StdError + 'static)> {
    let mut out: Vec<&(dyn StdError + 'static)> = Vec::new();
    let mut next = Some(error);
    while let Some(e) = next {
        if out.len() > 16 {
            break;
        }
        out.push(e);
        next = match e.downcast_ref::<io::Error>() {
            Some(io) => io.get_ref().map(|inner| -> &(dyn StdError + 'static) { inner }),
            None => e.source(),
        };
    }
    out
}

/// Every message of the chain, joined with `: `, repeats left out.
fn chain_text(error: &(dyn StdError + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    for e in chain(error) {
        let text = e.to_string();
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
    }
    parts.join(": ")
}

fn classify(error: &(dyn StdError + 'static)) -> Option<Kind> {
    chain(error)
        .into_iter()
        .filter_map(classify_one)
        .min_by_key(Kind::rank)
}

fn classify_one(e: &(dyn StdError + 'static)) -> Option<Kind> {
    if let Some(tls) = e.downcast_ref::<rustls::Error>() {
        return Some(match tls {
            rustls::Error::InvalidCertificate(problem) => Kind::Certificate(certificate_problem(problem)),
            other => Kind::Tls(other.to_string()),
        });
    }
    if let Some(io) = e.downcast_ref::<io::Error>() {
        let by_kind = match io.kind() {
            io::ErrorKind::ConnectionRefused => Some(Kind::Refused),
            // UnexpectedEof: the server closed a TLS connection without close_notify, mid-answer (rustls).
            io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
            | io::ErrorKind::UnexpectedEof => Some(Kind::Reset),
            io::ErrorKind::TimedOut => Some(Kind::TimedOut),
            io::ErrorKind::NetworkUnreachable
            | io::ErrorKind::HostUnreachable
            | io::ErrorKind::NetworkDown => Some(Kind::Unreachable),
            _ => None,
        };
        if by_kind.is_some() {
            return by_kind;
        }
    }
    if let Some(h) = e.downcast_ref::<hyper::Error>() {
        // The server closed the connection before it finished its answer: a dropped connection.
        if h.is_incomplete_message() || h.is_closed() || h.is_canceled() {
            return Some(Kind::Reset);
        }
    }
    let text = e.to_string().to_ascii_lowercase();
    if text.contains("invalid peer certificate") || text.contains("certificate verify failed") {
        return Some(Kind::Certificate(e.to_string()));
    }
    let dns_words = [
        "dns error",
        "failed to lookup address",
        "name or service not known",
        "no such host",
        "nodename nor servname",
        "temporary failure in name resolution",
        "no address associated with hostname",
    ];
    if dns_words.iter().any(|w| text.contains(w)) {
        return Some(Kind::Dns);
    }
    None
}

/// A certificate problem, named in plain words with rustls's name in brackets, which
/// [`Diagnosis::tls_certificate`] reads to order its steps.
fn certificate_problem(problem: &rustls::CertificateError) -> String {
    use rustls::CertificateError as C;
    match problem {
        C::UnknownIssuer => {
            "it is issued by an authority this computer doesn't trust (UnknownIssuer)".to_owned()
        }
        C::Expired | C::ExpiredContext { .. } => "it has expired (Expired)".to_owned(),
        C::NotValidYet | C::NotValidYetContext { .. } => "it isn't valid yet (NotValidYet)".to_owned(),
        C::NotValidForName | C::NotValidForNameContext { .. } => {
            "it is made out to another name (NotValidForName)".to_owned()
        }
        C::Revoked => "it has been revoked (Revoked)".to_owned(),
        C::BadSignature => "its signature is invalid (BadSignature)".to_owned(),
        other => format!("{other:?}"),
    }
}

/// How [`explain`] names a host it doesn't know.
const GENERIC_HOST: &str = "the server";

/// The named transport codes, with a generic host, for `mailgrant explain`.
pub(crate) fn explain(upper: &str) -> Option<Diagnosis> {
    let (code, text) = NAMED.iter().find(|(code, _)| *code == upper)?;
    let mut d = if *code == "TIMEOUT" {
        timed_out("answer", None, GENERIC_HOST)
    } else {
        render(*text, code, GENERIC_HOST, None, "")
    };
    d.raw.server_reply = None;
    Some(d)
}

#[cfg(test)]
mod tests {

    #[test]
    fn secrets_go_over_https_or_to_this_computer_only() {
        for ok in [
            "https://login.microsoftonline.com/common/oauth2/v2.0/token",
            "http://127.0.0.1:8080/t/oauth2/v2.0/token",
            "http://127.5.0.1/x",
            "http://localhost:1234/x",
            "http://LOCALHOST/x",
            "http://[::1]:9/x",
        ] {
            assert!(check_secure(ok).is_ok(), "{ok}");
        }
        for refused in [
            "http://login.example.net/common/oauth2/v2.0/token",
            "http://10.0.0.5/x",
            "http://localhost.evil.example/x",
            "http://127.0.0.1.nip.io/x",
            "ftp://127.0.0.1/x",
            "not a url",
        ] {
            let d = check_secure(refused).unwrap_err();
            assert_eq!(d.code, "PLAIN_HTTP", "{refused}");
        }
        let d = check_secure("http://login.example.net/t").unwrap_err();
        assert_eq!(
            d.title,
            "Mailgrant won't send secrets to login.example.net over plain http://"
        );
        assert_eq!(
            crate::diagnosis::explain("PLAIN_HTTP").map(|d| d.code),
            Some("PLAIN_HTTP".to_owned())
        );
    }

    use super::*;

    #[test]
    fn timeouts_name_the_stage_and_the_wait() {
        let d = Diagnosis::timeout("TLS handshake", Duration::from_secs(10), "outlook.office365.com");
        assert_eq!(d.code, "TIMEOUT");
        assert_eq!(d.title, "No answer from outlook.office365.com in time");
        assert!(
            d.explanation.starts_with(
                "Mailgrant waited 10 seconds for the secure connection (TLS) with outlook.office365.com and gave up."
            ),
            "{}",
            d.explanation
        );
        assert!(d.explanation.contains("proxy"));
        assert!(d.retryable);
        assert_eq!(d.fixer, Fixer::You);

        let d = Diagnosis::timeout("DNS", Duration::from_millis(1500), "smtp.office365.com");
        assert!(d
            .explanation
            .contains("waited 1.5 seconds for looking up the address of smtp.office365.com"));
        let d = Diagnosis::timeout("TCP connect", Duration::from_millis(250), "h");
        assert!(d.explanation.contains("waited 250 ms for the connection to h"));
        let d = Diagnosis::timeout("greeting", Duration::from_secs(5), "h");
        assert!(
            d.explanation.contains("waited 5 seconds for the greeting from h"),
            "{}",
            d.explanation
        );
        let d = Diagnosis::timeout("reply from the server", Duration::from_secs(30), "h");
        assert!(
            d.explanation.contains("for the reply from the server (h)"),
            "{}",
            d.explanation
        );
        assert!(d.steps.iter().any(|s| s.contains("connections to h are allowed")));
    }

    #[test]
    fn dns_tls_and_connections() {
        let d = Diagnosis::dns(
            "outlok.office365.com",
            "failed to lookup address information: Name or service not known",
        );
        assert_eq!(d.code, "DNS");
        assert_eq!(d.title, "Can't find the server outlok.office365.com");
        assert!(d
            .explanation
            .contains("look up the address of outlok.office365.com"));
        assert!(!d.retryable);
        assert!(Diagnosis::dns("h", "Temporary failure in name resolution").retryable);

        let d = Diagnosis::tls_certificate(
            "graph.microsoft.com",
            "it is issued by an authority this computer doesn't trust (UnknownIssuer)",
        );
        assert_eq!(d.code, "TLS_CERTIFICATE");
        assert!(d.steps[0].contains("--ca-file"), "{:?}", d.steps);
        assert!(d.steps.iter().any(|s| s.contains("date, time")));
        assert!(d.steps.iter().any(|s| s.contains("server name")));
        assert!(d.explanation.contains("(it is issued by an authority"));
        let d = Diagnosis::tls_certificate("h", "it has expired (Expired)");
        assert!(d.steps[0].contains("date, time"));
        let d = Diagnosis::tls_certificate("h", "it is made out to another name (NotValidForName)");
        assert!(d.steps[0].contains("server name"));

        let d = Diagnosis::connection_refused("127.0.0.1", 993);
        assert_eq!(d.code, "CONNECTION_REFUSED");
        assert!(d.explanation.starts_with(
            "The server 127.0.0.1 answered, but nothing there accepts connections on port 993."
        ));
        let d = Diagnosis::connection_reset("smtp.office365.com", 587);
        assert_eq!(d.code, "CONNECTION_RESET");
        assert!(d.retryable);
        assert!(d.explanation.contains("(port 587)"));
    }

    #[test]
    fn io_errors_are_classified_through_their_chain() {
        let refused = io::Error::from(io::ErrorKind::ConnectionRefused);
        assert_eq!(
            Diagnosis::from_io_error(&refused, "h", Some(995)).code,
            "CONNECTION_REFUSED"
        );

        let cert = io::Error::new(
            io::ErrorKind::InvalidData,
            rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer),
        );
        let d = Diagnosis::from_io_error(&cert, "outlook.office365.com", Some(993));
        assert_eq!(d.code, "TLS_CERTIFICATE");
        assert!(d.explanation.contains("UnknownIssuer"), "{}", d.explanation);

        let expired = io::Error::new(
            io::ErrorKind::InvalidData,
            rustls::Error::InvalidCertificate(rustls::CertificateError::Expired),
        );
        assert!(Diagnosis::from_io_error(&expired, "h", None).steps[0].contains("date, time"));

        let handshake = io::Error::new(io::ErrorKind::InvalidData, rustls::Error::DecryptError);
        assert_eq!(Diagnosis::from_io_error(&handshake, "h", None).code, "TLS");

        let dns = io::Error::other("failed to lookup address information: Name or service not known");
        assert_eq!(Diagnosis::from_io_error(&dns, "h", None).code, "DNS");

        let reset = io::Error::from(io::ErrorKind::ConnectionReset);
        assert_eq!(
            Diagnosis::from_io_error(&reset, "h", Some(587)).code,
            "CONNECTION_RESET"
        );

        // What rustls says when a server drops the connection mid-answer over HTTPS.
        let dropped = io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "peer closed connection without sending TLS close_notify",
        );
        let d = Diagnosis::from_io_error(&dropped, "h", Some(443));
        assert_eq!(d.code, "CONNECTION_RESET");
        assert!(d.retryable, "{d:?}");

        let odd = io::Error::other("something odd");
        let d = Diagnosis::from_io_error(&odd, "h", None);
        assert_eq!(d.code, "NETWORK");
        assert_eq!(d.raw.server_reply.as_deref(), Some("something odd"));
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime")
    }

    /// How reqwest fails a GET of `url` within `limit`, as Diagnosis::from_reqwest reads it.
    async fn get_fails(url: String, limit: Duration) -> Diagnosis {
        let client = reqwest::Client::builder().timeout(limit).build().expect("client");
        let err = client.get(&url).send().await.expect_err(&url);
        Diagnosis::from_reqwest(&err, "127.0.0.1")
    }

    #[test]
    fn reqwest_refused_and_timed_out() {
        runtime().block_on(async {
            // A port nobody listens on: bind one, note it, close it.
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .expect("bind")
                .local_addr()
                .expect("addr")
                .port();
            let d = get_fails(format!("http://127.0.0.1:{port}/"), Duration::from_secs(5)).await;
            assert_eq!(d.code, "CONNECTION_REFUSED", "{d:#}");
            assert!(d.explanation.contains(&format!("port {port}")));

            // A server that accepts and never answers.
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
            let addr = listener.local_addr().expect("addr");
            let hold = tokio::spawn(async move {
                let (_socket, _) = listener.accept().await.expect("accept");
                tokio::time::sleep(Duration::from_secs(5)).await;
            });
            let d = get_fails(format!("http://{addr}/"), Duration::from_millis(200)).await;
            assert_eq!(d.code, "TIMEOUT", "{d:#}");
            assert!(d.retryable);
            hold.abort();
        });
    }

    #[test]
    fn reqwest_tls_against_a_plain_server() {
        runtime().block_on(async {
            // Speaks plain text where TLS was expected: a handshake failure, not a certificate one.
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
            let addr = listener.local_addr().expect("addr");
            let serve = tokio::spawn(async move {
                use tokio::io::AsyncWriteExt as _;
                let (mut socket, _) = listener.accept().await.expect("accept");
                let _ = socket
                    .write_all(b"HTTP/1.1 400 Bad Request\r\n\r\nnot tls at all\r\n")
                    .await;
                tokio::time::sleep(Duration::from_millis(200)).await;
            });
            let d = get_fails(format!("https://{addr}/"), Duration::from_secs(5)).await;
            assert_eq!(d.code, "TLS", "{d:#}");
            assert!(
                d.explanation.contains("InvalidContentType") || d.explanation.contains("corrupt"),
                "{d:#}"
            );
            serve.abort();
        });
    }

    #[test]
    fn explain_names_the_server_generically() {
        let d = explain("CONNECTION_REFUSED").expect("named");
        assert_eq!(d.title, "The server refused the connection");
        assert!(d
            .explanation
            .starts_with("The server answered, but nothing there accepts connections on that port."));
        let d = explain("TIMEOUT").expect("named");
        assert_eq!(d.title, "No answer from the server in time");
        assert!(d
            .explanation
            .starts_with("Mailgrant waited for the answer from the server and gave up."));
        assert_eq!(
            explain("DNS").map(|d| d.title),
            Some("Can't find the server".into())
        );
        assert!(explain("NOPE").is_none());
    }
}
