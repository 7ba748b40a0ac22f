//! The mail bridge's use cases: an account's bridge password (made, shown, replaced, revoked), what a program
//! types in, and running the bridge for every account of this home (loopback, or the LAN mode with its
//! certificate). See [`crate::bridge`].

use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::CertificateDer;

use super::{blocking, error_chain, Api, ApiError, ErrorCode};
use crate::bridge::tls::LanCertificate;
use crate::bridge::{
    self, Bridge, BridgeConfig, BridgeProtocol, BridgeStatus, BridgeTimeouts, RunningBridge,
};
use crate::desktop::{BridgeSettings, DesktopSettings};
use crate::sensitive::SecretString;

/// An account's bridge password, to show once.
#[derive(Debug)]
pub struct BridgePassword {
    pub account: String,
    /// The user name to type in: the account's address.
    pub user: String,
    pub password: SecretString,
    /// Made by this call (false: the one kept before).
    pub created: bool,
}

/// The account's bridge password: the one in the keychain, or a new one when there is none or `regenerate`
/// (which revokes the old one at once).
pub async fn password(api: &Api, name: &str, regenerate: bool) -> Result<BridgePassword, ApiError> {
    let account = api.account(name)?;
    let vault = api.tokens.vault().clone();
    let account_name = account.name.clone();
    let (password, created) = blocking(move || {
        if !regenerate {
            if let Some(kept) = vault.bridge_password(&account_name)? {
                return Ok((kept, false));
            }
        }
        let new = bridge::generate_password();
        vault.set_bridge_password(&account_name, &new)?;
        Ok((new, true))
    })
    .await?;
    if created {
        tracing::info!(account = %account.name, "new bridge password");
    }
    Ok(BridgePassword {
        user: account.address.clone(),
        account: account.name,
        password,
        created,
    })
}

/// Revokes the account's bridge password: no new bridge session from now on. False when it had none.
pub async fn revoke(api: &Api, name: &str) -> Result<bool, ApiError> {
    let account = api.account(name)?;
    let vault = api.tokens.vault().clone();
    let revoked = blocking(move || Ok(vault.delete_bridge_password(&account.name)?)).await?;
    Ok(revoked)
}

/// What the bridge page shows for an account (never the password).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct BridgeAccount {
    pub account: String,
    /// The user name to type into the program.
    pub user: String,
    pub has_password: bool,
    /// The protocols the account is set up for.
    pub protocols: Vec<BridgeProtocol>,
    /// What "let devices on my network use it" exposes, to read before turning it on.
    pub lan_exposure: String,
}

pub async fn account(api: &Api, name: &str) -> Result<BridgeAccount, ApiError> {
    let account = api.account(name)?;
    let vault = api.tokens.vault().clone();
    let account_name = account.name.clone();
    let has_password = blocking(move || Ok(vault.bridge_password(&account_name)?.is_some())).await?;
    Ok(BridgeAccount {
        protocols: BridgeProtocol::ALL
            .into_iter()
            .filter(|p| account.services.contains(&p.service()))
            .collect(),
        user: account.address,
        account: account.name,
        has_password,
        lan_exposure: LAN_EXPOSURE.to_owned(),
    })
}

/// Which listeners to open. `None`: that protocol is off; `Some(0)`: any free port.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    pub imap: Option<u16>,
    pub pop: Option<u16>,
    pub smtp: Option<u16>,
    /// "Let devices on my network use it".
    pub lan: Option<LanOptions>,
}

impl RunOptions {
    /// IMAP, POP and SMTP on their default ports.
    pub fn defaults() -> Self {
        Self {
            imap: Some(bridge::DEFAULT_IMAP_PORT),
            pop: Some(bridge::DEFAULT_POP_PORT),
            smtp: Some(bridge::DEFAULT_SMTP_PORT),
            lan: None,
        }
    }
}

/// The LAN mode: the address to bind (one interface's), the names devices use, the implicit-TLS ports.
#[derive(Debug, Clone)]
pub struct LanOptions {
    pub address: IpAddr,
    /// Host names and addresses the certificate is for (the address is always added).
    pub names: Vec<String>,
    pub imaps: Option<u16>,
    pub pop3s: Option<u16>,
    pub smtps: Option<u16>,
}

impl RunOptions {
    /// The listeners of the app's bridge settings; the network mode on the default implicit-TLS ports.
    pub fn from_settings(settings: &BridgeSettings) -> Result<Self, ApiError> {
        let lan = match settings.lan_address.as_deref().map(str::trim) {
            Some(address) => Some(LanOptions {
                address: one_interface(address.parse().map_err(|_| {
                    ApiError::new(
                        ErrorCode::BadAnswer,
                        format!("{address:?} is not an IP address (e.g. 192.168.1.20)"),
                    )
                })?)?,
                names: Vec::new(),
                imaps: Some(bridge::DEFAULT_IMAPS_PORT),
                pop3s: Some(bridge::DEFAULT_POP3S_PORT),
                smtps: Some(bridge::DEFAULT_SMTPS_PORT),
            }),
            None => None,
        };
        Ok(Self {
            imap: settings.imap_port,
            pop: settings.pop_port,
            smtp: settings.smtp_port,
            lan,
        })
    }
}

/// The network mode binds one interface's address, never all of them.
fn one_interface(address: IpAddr) -> Result<IpAddr, ApiError> {
    if address.is_unspecified() || address.is_multicast() {
        return Err(ApiError::new(
            ErrorCode::BadAnswer,
            format!(
                "{address} is not one network interface's address: the bridge listens on the one you choose (this \
computer's address on the network of your devices, e.g. 192.168.1.20), never on all of them"
            ),
        ));
    }
    Ok(address)
}

/// A running bridge and, in the LAN mode, its certificate's fingerprint.
#[derive(Debug)]
pub struct Running {
    pub bridge: RunningBridge,
    pub fingerprint: Option<String>,
    /// Where the LAN certificate is (to copy to a device that wants to trust it).
    pub certificate_file: Option<PathBuf>,
}

impl Running {
    pub fn status(&self) -> BridgeStatus {
        self.bridge.status()
    }

    /// What the bridge page shows of it.
    pub fn view(&self) -> BridgeView {
        BridgeView {
            status: self.status(),
            fingerprint: self.fingerprint.clone(),
            certificate_file: self.certificate_file.as_ref().map(|p| p.display().to_string()),
            lan_exposure: self.fingerprint.as_ref().map(|_| LAN_EXPOSURE.to_owned()),
        }
    }
}

/// The running bridge: listeners, sessions, last errors; in the LAN mode the certificate's fingerprint, where the
/// certificate is, and what the mode exposes, in plain words.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct BridgeView {
    pub status: BridgeStatus,
    pub fingerprint: Option<String>,
    pub certificate_file: Option<String>,
    pub lan_exposure: Option<String>,
}

/// What the LAN mode exposes, in plain words.
pub const LAN_EXPOSURE: &str =
    "Devices on your network that know an account's bridge password can read its mail \
and send mail as it, through this computer, while Mailgrant runs. Logins are encrypted (TLS); other devices \
cannot log in without the password.";

fn bridge_for(api: &Api) -> Result<Bridge, ApiError> {
    let mut roots = Vec::new();
    if let Some(path) = &api.ca_file {
        let pem = std::fs::read(path).map_err(|e| {
            ApiError::new(
                ErrorCode::Config,
                format!("cannot read the CA file {}: {e}", path.display()),
            )
        })?;
        for cert in CertificateDer::pem_slice_iter(&pem) {
            roots.push(cert.map_err(|e| {
                ApiError::new(
                    ErrorCode::Config,
                    format!("cannot read the CA file {}: {e}", path.display()),
                )
            })?);
        }
    }
    Bridge::new(api.tokens.clone(), &roots, BridgeTimeouts::default())
        .map_err(|e| ApiError::new(ErrorCode::Config, error_chain(&e)))
}

/// The file of the LAN certificate (public; its key is in the keychain).
pub fn certificate_file(api: &Api) -> PathBuf {
    api.home.dir().join("bridge-certificate.pem")
}

/// The LAN certificate kept earlier, or a new one for `names` (kept: the certificate in the data home, its key in
/// the keychain). A kept certificate that lacks one of `names` is replaced.
pub async fn lan_certificate(api: &Api, names: &[String]) -> Result<LanCertificate, ApiError> {
    let file = certificate_file(api);
    let vault = api.tokens.vault().clone();
    let names = names.to_vec();
    blocking(move || {
        let kept = std::fs::read_to_string(&file).ok();
        if let (Some(pem), Some(key)) = (kept, vault.bridge_certificate_key()?) {
            let marker = format!("names: {}", names.join(","));
            if pem.contains(&marker) {
                return Ok(LanCertificate::from_pem(pem, key));
            }
        }
        let cert = LanCertificate::generate(&names)
            .map_err(|e| ApiError::new(ErrorCode::Internal, error_chain(&e)))?;
        vault.set_bridge_certificate_key(cert.key_pem())?;
        let text = format!(
            "# Mailgrant mail bridge certificate\n# names: {}\n{}",
            names.join(","),
            cert.certificate_pem
        );
        std::fs::write(&file, text.as_bytes())
            .map_err(|e| ApiError::new(ErrorCode::Config, format!("cannot write {}: {e}", file.display())))?;
        Ok(LanCertificate::from_pem(text, cert.key_pem().clone()))
    })
    .await
}

/// Starts the bridge for every account of this home.
pub async fn run(api: &Api, options: &RunOptions) -> Result<Running, ApiError> {
    let bridge = bridge_for(api)?;
    let mut config = BridgeConfig::loopback(options.imap, options.pop, options.smtp);
    let mut fingerprint = None;
    let mut certificate = None;
    if let Some(lan) = &options.lan {
        one_interface(lan.address)?;
        let mut names = lan.names.clone();
        let address = lan.address.to_string();
        if !names.contains(&address) {
            names.push(address);
        }
        let cert = lan_certificate(api, &names).await?;
        fingerprint = Some(
            cert.fingerprint()
                .map_err(|e| ApiError::new(ErrorCode::Internal, error_chain(&e)))?,
        );
        let tls = cert
            .server_config()
            .map_err(|e| ApiError::new(ErrorCode::Internal, error_chain(&e)))?;
        config = config.lan(lan.address, tls, [lan.imaps, lan.pop3s, lan.smtps]);
        certificate = Some(certificate_file(api));
    }
    let running = bridge
        .start(&config)
        .await
        .map_err(|e| ApiError::new(ErrorCode::Config, error_chain(&e)))?;
    Ok(Running {
        bridge: running,
        fingerprint,
        certificate_file: certificate,
    })
}

/// A bridge that the app keeps while it runs (shared with the IPC commands).
pub type SharedRunning = Arc<tokio::sync::Mutex<Option<Running>>>;

/// The app's bridge: started with `settings` in `slot` (one already running is stopped first), and remembered so
/// that the next launch starts it again on the ports it got (a port asked for as 0, any free one, is remembered as
/// the one it became: a program set up for it keeps working). Settings that don't start are not remembered.
pub async fn start(
    api: &Api,
    slot: &SharedRunning,
    settings: &BridgeSettings,
) -> Result<BridgeView, ApiError> {
    let view = launch(api, slot, settings).await?;
    let remembered = same_ports(Some(&view.status), settings.lan_address.clone());
    DesktopSettings::update(&api.home, move |s| s.bridge = Some(remembered))?;
    Ok(view)
}

/// The app's bridge started (again) for this computer only (`lan_address: None`), or also for the devices on the
/// network at that address: each protocol keeps the port it listens on now, so that programs set up for it go on
/// working; a bridge that is off starts on the default ports (a free one where another program has a default).
pub async fn restart(
    api: &Api,
    slot: &SharedRunning,
    lan_address: Option<String>,
) -> Result<BridgeView, ApiError> {
    let running = status(slot).await;
    let settings = same_ports(running.as_ref().map(|view| &view.status), lan_address);
    start(api, slot, &settings).await
}

/// The settings that keep what the running bridge listens on (its plain listeners: the network mode adds the TLS
/// ones). When it is off, every protocol on its default port, or on any free port where another program has that
/// one (Proton Mail Bridge and DavMail, for two, listen on 1143).
fn same_ports(running: Option<&BridgeStatus>, lan_address: Option<String>) -> BridgeSettings {
    let port = |protocol: BridgeProtocol, default: u16| match running {
        None => Some(free_or_any(default)),
        Some(status) => status
            .listeners
            .iter()
            .find(|listener| listener.protocol == protocol && !listener.implicit_tls)
            .map(|listener| listener.port),
    };
    BridgeSettings {
        imap_port: port(BridgeProtocol::Imap, bridge::DEFAULT_IMAP_PORT),
        pop_port: port(BridgeProtocol::Pop, bridge::DEFAULT_POP_PORT),
        smtp_port: port(BridgeProtocol::Smtp, bridge::DEFAULT_SMTP_PORT),
        lan_address,
    }
}

/// `port` when nothing on this computer listens on it, else 0 (any free port).
fn free_or_any(port: u16) -> u16 {
    match std::net::TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, port)) {
        Err(error) if error.kind() == std::io::ErrorKind::AddrInUse => 0,
        _ => port,
    }
}

/// The bridge with `settings` in `slot`, in place of one already running. Settings that can never start are
/// refused before that one is stopped.
async fn launch(api: &Api, slot: &SharedRunning, settings: &BridgeSettings) -> Result<BridgeView, ApiError> {
    let options = RunOptions::from_settings(settings)?;
    let mut slot = slot.lock().await;
    if let Some(old) = slot.take() {
        old.bridge.stop().await;
    }
    let running = run(api, &options).await?;
    let view = running.view();
    *slot = Some(running);
    Ok(view)
}

/// Stops the app's bridge and forgets it: the next launch does not start it.
pub async fn stop(api: &Api, slot: &SharedRunning) -> Result<(), ApiError> {
    if let Some(running) = slot.lock().await.take() {
        running.bridge.stop().await;
    }
    DesktopSettings::update(&api.home, |s| s.bridge = None)?;
    Ok(())
}

/// At launch: the bridge again, as it was last started in the app; `None` when it was off.
pub async fn resume(api: &Api, slot: &SharedRunning) -> Result<Option<BridgeView>, ApiError> {
    match DesktopSettings::load(&api.home)?.bridge {
        Some(settings) => launch(api, slot, &settings).await.map(Some),
        None => Ok(None),
    }
}

/// The app's bridge as the page shows it; `None` when it is off.
pub async fn status(slot: &SharedRunning) -> Option<BridgeView> {
    slot.lock().await.as_ref().map(Running::view)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DataHome;

    fn api() -> (tempfile::TempDir, Api) {
        let dir = tempfile::tempdir().unwrap();
        let home = DataHome::resolve(Some(dir.path().join("home")), None).unwrap();
        (dir, Api::open(home, None).unwrap())
    }

    fn any_ports() -> BridgeSettings {
        BridgeSettings {
            imap_port: Some(0),
            pop_port: None,
            smtp_port: Some(0),
            lan_address: None,
        }
    }

    #[tokio::test]
    async fn the_app_s_bridge_is_remembered_started_again_at_launch_and_forgotten_when_stopped() {
        let (_dir, api) = api();
        let slot = SharedRunning::default();
        assert!(resume(&api, &slot).await.unwrap().is_none(), "off until started");

        let view = start(&api, &slot, &any_ports()).await.unwrap();
        let protocols: Vec<_> = view.status.listeners.iter().map(|l| l.protocol).collect();
        assert_eq!(protocols, [BridgeProtocol::Imap, BridgeProtocol::Smtp]);
        for listener in &view.status.listeners {
            // What a program's settings want, split by Rust: the page parses no address.
            assert_eq!(listener.host, "127.0.0.1");
            assert_eq!(listener.port, listener.address.port());
            assert_ne!(listener.port, 0);
        }
        assert_eq!(view.fingerprint, None);
        // Remembered with the ports it got: the next launch listens where programs were set up to connect.
        let remembered = DesktopSettings::load(&api.home).unwrap().bridge.unwrap();
        let port = |protocol| {
            view.status
                .listeners
                .iter()
                .find(|l| l.protocol == protocol)
                .map(|l| l.port)
        };
        assert_eq!(
            remembered,
            BridgeSettings {
                imap_port: port(BridgeProtocol::Imap),
                pop_port: None,
                smtp_port: port(BridgeProtocol::Smtp),
                lan_address: None,
            }
        );

        // The app quits (the bridge with it, remembered); the next launch: a new slot, the same ports.
        let quit = slot.lock().await.take().expect("running");
        quit.bridge.stop().await;
        let relaunched = SharedRunning::default();
        let again = resume(&api, &relaunched).await.unwrap().expect("started again");
        let ports = |view: &BridgeView| view.status.listeners.iter().map(|l| l.port).collect::<Vec<_>>();
        assert_eq!(ports(&again), ports(&view));
        assert!(status(&relaunched).await.is_some());
        stop(&api, &relaunched).await.unwrap();
        stop(&api, &slot).await.unwrap();
        assert!(status(&slot).await.is_none());
        assert_eq!(DesktopSettings::load(&api.home).unwrap().bridge, None);
        assert!(resume(&api, &SharedRunning::default()).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn starting_again_keeps_the_ports_a_program_was_set_up_with() {
        let (_dir, api) = api();
        let slot = SharedRunning::default();
        let plain_ports = |view: &BridgeView| -> Vec<(BridgeProtocol, u16)> {
            let plain = view.status.listeners.iter().filter(|l| !l.implicit_tls);
            plain.map(|l| (l.protocol, l.port)).collect()
        };
        // Off: the defaults, except where another program listens (held here for IMAP, or held already): the
        // bridge starts anyway, IMAP on a free port, and keeps that one.
        let held = std::net::TcpListener::bind(("127.0.0.1", bridge::DEFAULT_IMAP_PORT));
        let off = same_ports(None, None);
        assert_eq!(off.imap_port, Some(0), "another program has 1143: any free port");
        for (port, default) in [(off.pop_port, 1110), (off.smtp_port, 1587)] {
            assert!(port == Some(default) || port == Some(0), "{port:?}");
        }
        let taken = restart(&api, &slot, None).await.unwrap();
        let imap_port = plain_ports(&taken)[0];
        assert_eq!(imap_port.0, BridgeProtocol::Imap);
        assert!(
            ![0, bridge::DEFAULT_IMAP_PORT].contains(&imap_port.1),
            "{imap_port:?}"
        );
        let remembered = DesktopSettings::load(&api.home).unwrap().bridge.unwrap();
        assert_eq!(
            remembered.imap_port,
            Some(imap_port.1),
            "remembered as the port it became"
        );
        drop(held);
        stop(&api, &slot).await.unwrap();
        // On, at free ports, POP off: the network mode and back keep that.
        let first = start(&api, &slot, &any_ports()).await.unwrap();
        let [imap, smtp] = [BridgeProtocol::Imap, BridgeProtocol::Smtp].map(|protocol| {
            let listener = first.status.listeners.iter().find(|l| l.protocol == protocol);
            listener.map(|l| l.port)
        });
        assert_eq!(
            same_ports(Some(&first.status), Some("192.168.1.20".into())),
            BridgeSettings {
                imap_port: imap,
                pop_port: None,
                smtp_port: smtp,
                lan_address: Some("192.168.1.20".into()),
            }
        );
        let again = restart(&api, &slot, None).await.unwrap();
        assert_eq!(plain_ports(&again), plain_ports(&first));
        assert_eq!(
            DesktopSettings::load(&api.home)
                .unwrap()
                .bridge
                .and_then(|b| b.imap_port),
            imap,
            "remembered for the next launch"
        );
        stop(&api, &slot).await.unwrap();
    }

    #[tokio::test]
    async fn settings_that_can_never_start_are_refused_and_the_running_bridge_stays() {
        let (_dir, api) = api();
        let slot = SharedRunning::default();
        start(&api, &slot, &any_ports()).await.unwrap();
        let started = DesktopSettings::load(&api.home).unwrap().bridge;
        for (address, why) in [
            ("not an address", "is not an IP address"),
            ("0.0.0.0", "never on all of them"),
        ] {
            let bad = BridgeSettings {
                lan_address: Some(address.into()),
                ..any_ports()
            };
            let error = start(&api, &slot, &bad).await.unwrap_err();
            assert_eq!(error.code, ErrorCode::BadAnswer, "{error:?}");
            assert!(error.message.contains(why), "{error:?}");
            assert_eq!(
                DesktopSettings::load(&api.home).unwrap().bridge,
                started,
                "the last settings that started stay"
            );
            assert!(status(&slot).await.is_some(), "and so does the bridge");
        }
        stop(&api, &slot).await.unwrap();
    }
}
