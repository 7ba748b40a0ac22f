// "Use this mailbox": MailSettings as mailgrant-core's handoff::mail_settings makes them (src-tauri/core/src/
// handoff.rs), for the global cloud's servers, with the recipes' texts as Rust writes them.

const ENDPOINTS = {
  imap: { host: "outlook.office365.com", port: 993 },
  pop: { host: "outlook.office365.com", port: 995 },
  smtp: { host: "smtp.office365.com", port: 587 },
};
const OUTLOOK_COM_SMTP = { host: "smtp-mail.outlook.com", port: 587 };

/** As handoff::is_personal_address. @param {string} address */
export function isPersonalAddress(address) {
  const at = address.trim().lastIndexOf("@");
  if (at < 0) return false;
  const labels = address.trim().slice(at + 1).toLowerCase().split(".");
  const brand = ["outlook", "hotmail", "live", "msn", "windowslive", "passport"].includes(labels[0]);
  const suffixOnly = labels.length === 2 || (labels.length === 3 && labels[1].length <= 3);
  return brand && suffixOnly;
}

/** As handoff::shell_word. @param {string} word */
function shellWord(word) {
  return word !== "" && /^[A-Za-z0-9@._+\-=:/,]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}

/**
 * @param {string} id @param {string} program @param {string} file @param {string} text @param {string} token
 */
function helper(id, program, file, text, token) {
  return {
    id,
    program,
    kind: "credential-helper",
    summary: `${program} asks Mailgrant for a fresh token each time it connects (\`${token}\`): Mailgrant must be installed on the same computer, with this account.`,
    steps: [`Put these lines in ${file} (or merge them with what is there):`],
    snippet: { file, text },
  };
}

/** @param {{ personal: boolean }} s */
function passwordOnly(s) {
  const steps = [
    'First look for a "Microsoft 365", "Exchange Online" or "OAuth2" choice in the program or device (many recent scanners and copiers have one): it then signs in by itself and keeps working.',
  ];
  if (s.personal) {
    steps.push(
      "Outlook.com takes no password from mail programs: IMAP, POP and SMTP need OAuth2. A program without it can't use an Outlook.com mailbox directly.",
    );
  } else {
    steps.push(
      "Reading mail (IMAP, POP) with a password stopped working in Microsoft 365 in 2022. Sending (SMTP AUTH) with a password is switched off by default from the end of December 2026; your IT admin can turn it back on for a while, and Microsoft will announce the final date in 2027.",
      "A scanner that only sends to people in your organisation can use Exchange's Direct Send or an SMTP relay through a connector instead: your IT admin sets it up, no password needed.",
    );
  }
  steps.push(
    "Otherwise, use Mailgrant's mail bridge: the program logs in to Mailgrant on this computer (or, for a scanner, over your network with TLS) with a password Mailgrant makes for this mailbox, and Mailgrant signs in to Microsoft with OAuth2 for it. It works while Mailgrant runs.",
  );
  return {
    id: "password-only",
    program: "Programs and devices that only know a password",
    kind: "password-only",
    summary:
      "A scanner, an old mail program or a script with a password in it: Microsoft no longer takes passwords for this mailbox, so it needs another way in.",
    steps,
    snippet: null,
  };
}

/**
 * @param {{ account: string, address: string, userName: string, servers: any[], personal: boolean, appOnly: boolean }} s
 */
function recipes(s) {
  /** @type {any[]} */
  const out = [];
  const find = (/** @type {string} */ p) => s.servers.find((x) => x.protocol === p);
  const [imap, pop, smtp] = [find("imap"), find("pop"), find("smtp")];
  const token = `mailgrant token ${shellWord(s.account)}`;
  const user = s.userName;
  const mailProgram = !s.appOnly && Boolean(imap || pop || smtp);

  if (mailProgram) {
    const incoming = imap ?? pop;
    const steps = [
      `Add a mail account (Account Settings › Account Actions › Add Mail Account): your name, ${s.address}, no password. Click Continue.`,
    ];
    const manual = [];
    if (incoming) {
      manual.push(
        `incoming ${incoming.protocol === "imap" ? "IMAP" : "POP3"} ${incoming.host}, port ${incoming.port}, ${incoming.encryptionLabel}`,
      );
    }
    if (smtp) manual.push(`outgoing SMTP ${smtp.host}, port ${smtp.port}, ${smtp.encryptionLabel}`);
    steps.push(
      `If Thunderbird does not find the settings by itself, choose Configure manually: ${manual.join("; ")}; Authentication method OAuth2 for both; user name ${user}.`,
    );
    steps.push(`Click Done: Microsoft's sign-in window opens. Sign in as ${s.address}.`);
    if (!s.personal) {
      steps.push(
        'If Microsoft says an administrator must approve "Mozilla Thunderbird", your IT admin approves it once for the organisation.',
      );
    }
    out.push({
      id: "thunderbird",
      program: "Thunderbird",
      kind: "own-sign-in",
      summary: "Thunderbird signs in to Microsoft by itself (OAuth2): it needs no Mailgrant.",
      steps,
      snippet: null,
    });
    const apple = s.personal ? "Outlook.com" : "Microsoft Exchange";
    out.push({
      id: "apple-mail",
      program: "Apple Mail (Mac, iPhone, iPad)",
      kind: "own-sign-in",
      summary: "Apple Mail signs in to Microsoft by itself: it needs no Mailgrant.",
      steps: [
        `Mac: System Settings › Internet Accounts › Add Account › ${apple}. iPhone and iPad: Settings › Apps › Mail › Mail Accounts › Add Account › ${apple}.`,
        `Enter ${s.address} and choose Sign In: Microsoft's sign-in page opens. Sign in and allow access.`,
      ],
      snippet: null,
    });
    out.push({
      id: "outlook",
      program: "Outlook (classic and new)",
      kind: "own-sign-in",
      summary:
        "Outlook signs in to Microsoft by itself and talks to the mailbox directly: it needs no Mailgrant, and no IMAP settings.",
      steps: [
        `Classic Outlook: File › Add Account. New Outlook: Settings › Accounts › Add account. Enter ${s.address} and sign in at Microsoft's page.`,
        "Don't choose IMAP or POP in Outlook's advanced options: with a Microsoft mailbox Outlook connects as Exchange, which keeps calendar and contacts too.",
      ],
      snippet: null,
    });
  }

  if (imap) {
    let text = `set imap_user = "${user}"\nset imap_authenticators = "xoauth2"\nset imap_oauth_refresh_command = "${token}"\nset folder = "imaps://${imap.host}:${imap.port}/"\n`;
    if (smtp) {
      text += `set smtp_url = "smtp://${user}@${smtp.host}:${smtp.port}/"\nset smtp_authenticators = "xoauth2"\nset smtp_oauth_refresh_command = "${token}"\n`;
    }
    out.push(helper("neomutt", "neomutt", "~/.neomuttrc", text, token));
    out.push(
      helper(
        "mbsync",
        "isync (mbsync)",
        "~/.mbsyncrc",
        `IMAPAccount ${s.account}\nHost ${imap.host}\nPort ${imap.port}\nUser ${user}\nPassCmd "${token}"\nAuthMechs XOAUTH2\nTLSType IMAPS\n`,
        token,
      ),
    );
  }
  if (smtp) {
    const startTls = smtp.encryption === "start-tls";
    out.push(
      helper(
        "msmtp",
        "msmtp",
        "~/.msmtprc",
        `account ${s.account}\nhost ${smtp.host}\nport ${smtp.port}\ntls on\ntls_starttls ${startTls ? "on" : "off"}\nauth xoauth2\nuser ${user}\nfrom ${s.address}\npasswordeval "${token}"\n`,
        token,
      ),
    );
    out.push(
      helper(
        "git-send-email",
        "git send-email",
        "~/.gitconfig",
        `[sendemail]\n    smtpServer = ${smtp.host}\n    smtpServerPort = ${smtp.port}\n    smtpEncryption = ${startTls ? "tls" : "ssl"}\n    smtpUser = ${user}\n    smtpAuth = XOAUTH2\n[credential "smtp://${smtp.host}:${smtp.port}"]\n    helper = "!f() { test \\"$1\\" = get && echo password=$(${token}); }; f"\n`,
        token,
      ),
    );
  }
  out.push(passwordOnly(s));
  return out;
}

/**
 * What `mail_settings` answers for an account in the global cloud.
 * @param {{ account: string, address: string, services?: string[], appOnly?: boolean, sharedMailbox?: string | null }} a
 */
export function mailSettings({ account, address, services = ["imap", "smtp"], appOnly = false, sharedMailbox = null }) {
  const personal = isPersonalAddress(address);
  const roles = /** @type {const} */ ([
    ["imap", "Incoming mail (IMAP)"],
    ["pop", "Incoming mail (POP)"],
    ["smtp", "Outgoing mail (SMTP)"],
  ]);
  const servers = roles
    .filter(([protocol]) => services.includes(protocol))
    .map(([protocol, role]) => {
      const { host, port } = protocol === "smtp" && personal ? OUTLOOK_COM_SMTP : ENDPOINTS[protocol];
      const sslTls = port === 993 || port === 995 || port === 465;
      return {
        protocol,
        role,
        host,
        port,
        encryption: sslTls ? "ssl-tls" : "start-tls",
        encryptionLabel: sslTls ? "SSL/TLS" : "STARTTLS",
      };
    });
  const settings = {
    account,
    address,
    userName: sharedMailbox ?? address,
    authentication: "OAuth2",
    servers,
    graph: services.some((s) => s === "graph-read" || s === "graph-send"),
    personal,
    appOnly,
    recipes: /** @type {any[]} */ ([]),
  };
  settings.recipes = recipes(settings);
  return settings;
}
