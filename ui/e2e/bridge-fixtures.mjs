// The mail bridge page's answers, shaped as src-tauri/src/commands/bridge.rs returns them (BridgeAccount,
// BridgeView, NewBridgePassword), for the scanner owner "scans" of Contoso. Ports are whatever a test bridge
// bound: the page shows what Rust answers.
import { NOW, accountView } from "./account-fixtures.mjs";
import { defaultAppInfo } from "./harness.mjs";
import { mailSettings } from "./handoff-fixtures.mjs";
import { smtpAuthDisabled } from "./wizard-fixtures.mjs";

export { NOW };
export const ACCOUNT = "scans";
export const USER = "scans@contoso.example";
export const LAN_ADDRESS = "192.168.1.20";
export const FINGERPRINT =
  "3A:91:5C:0E:7B:D4:22:F8:61:AC:09:B3:4E:17:C5:8D:90:2F:E6:71:3B:A8:54:CD:0F:62:97:1E:B5:48:DA:36";
// Made up at run time: nothing password-like is committed.
export const PASSWORD = ["k7qm", "3xzp", "wd9h", "fa2c", "ru6e"].join("-");
/** As mailgrant-core's api::bridge::LAN_EXPOSURE (Rust's words; the page shows them as given). */
export const LAN_EXPOSURE =
  "Devices on your network that know an account's bridge password can read its mail and send mail as it, through this computer, while Mailgrant runs. Logins are encrypted (TLS); other devices cannot log in without the password.";

/** The account on the dashboard, as `account_views` answers. */
export const scansView = accountView(ACCOUNT);

/** @param {boolean} hasPassword */
export const bridgeAccount = (hasPassword) => ({
  account: ACCOUNT,
  user: USER,
  hasPassword,
  protocols: ["imap", "smtp"],
  lanExposure: LAN_EXPOSURE,
});

/**
 * A running bridge: loopback, or the LAN mode (STARTTLS on the same ports, plus implicit TLS).
 * @param {{ lan?: boolean, sessions?: any[], lastErrors?: any[], connecting?: number }} [options]
 */
export function running({ lan = false, sessions = [], lastErrors = [], connecting = 0 } = {}) {
  const host = lan ? LAN_ADDRESS : "127.0.0.1";
  const listeners = [
    { protocol: "imap", address: `${host}:41143`, host, port: 41143, implicitTls: false },
    { protocol: "pop", address: `${host}:41110`, host, port: 41110, implicitTls: false },
    { protocol: "smtp", address: `${host}:41587`, host, port: 41587, implicitTls: false },
  ];
  if (lan) {
    listeners.push(
      { protocol: "imap", address: `${host}:1993`, host, port: 1993, implicitTls: true },
      { protocol: "pop", address: `${host}:1995`, host, port: 1995, implicitTls: true },
      { protocol: "smtp", address: `${host}:1465`, host, port: 1465, implicitTls: true },
    );
  }
  return {
    status: { listeners, connecting, sessions, lastErrors, logins: sessions.length },
    fingerprint: lan ? FINGERPRINT : null,
    certificateFile: lan ? "/home/ada/.config/mailgrant/bridge-certificate.pem" : null,
    lanExposure: lan ? LAN_EXPOSURE : null,
  };
}

/** The scanner logged in over SMTP, and one earlier send was refused by Exchange. */
export const scannerSession = { id: 7, protocol: "smtp", account: ACCOUNT, peer: "127.0.0.1:52811", since: NOW - 40 };
export const refusedSend = {
  at: NOW - 300,
  protocol: "smtp",
  account: ACCOUNT,
  peer: "127.0.0.1:52790",
  message: "The mail server refused the token: authenticated SMTP is turned off for this mailbox.",
  diagnosis: smtpAuthDisabled,
};
export const wrongPassword = {
  at: NOW - 600,
  protocol: "imap",
  account: ACCOUNT,
  peer: "127.0.0.1:52700",
  message: "A wrong bridge password for scans@contoso.example.",
  diagnosis: null,
};

/**
 * The app with one account and the bridge off (or `status`); `start_bridge` answers by whether a LAN address is
 * given.
 * @param {{ hasPassword?: boolean, status?: ReturnType<typeof running> | null }} [options]
 */
export function bridgeFixture({ hasPassword = false, status = null } = {}) {
  return {
    responses: {
      app_info: defaultAppInfo,
      account_views: [scansView],
      list_credentials: [],
      list_imports: [],
      import_sources: [],
      mail_settings: mailSettings({ account: ACCOUNT, address: USER }),
      bridge_account: bridgeAccount(hasPassword),
      bridge_status: status,
      new_bridge_password: { account: ACCOUNT, user: USER, password: PASSWORD },
      revoke_bridge_password: true,
      stop_bridge: null,
      start_bridge: running(),
    },
    rules: [
      { cmd: "start_bridge", args: { lanAddress: LAN_ADDRESS }, response: running({ lan: true }) },
      {
        cmd: "start_bridge",
        args: { lanAddress: "not an address" },
        error: { code: "bad-answer", message: '"not an address" is not an IP address', diagnosis: null },
      },
    ],
  };
}
