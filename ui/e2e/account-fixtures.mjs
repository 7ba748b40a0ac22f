// Accounts as `account_views` answers them (src-tauri/src/commands/accounts.rs, AccountView), for every suite that
// puts accounts on the dashboard: one shape, so a field Rust adds is added here once.
import { CLIENT_ID } from "./wizard-fixtures.mjs";

export const NOW = Math.floor(Date.now() / 1000);

export const revocation = {
  user: { label: "My Apps (your work or school account)", url: "https://myapps.microsoft.com" },
  admin: null,
  effect: "Revoking consent stops the app from getting new tokens for this account.",
};

/** What an account's health says before anyone signed in (what `mailgrant add` leaves). */
export const NOT_SIGNED_IN = {
  signedInAs: null,
  state: "not-signed-in",
  reason: "nobody has signed in yet",
  accessExpires: [],
  refreshLastUsedAt: null,
  refreshInactiveAt: null,
  refreshInactiveDaysLeft: null,
  keepAliveDueAt: null,
};

/**
 * Account `name` of Contoso, signed in and working (fresh tokens, IMAP and SMTP), unless `health` or the other
 * fields given say otherwise.
 * @param {string} name
 * @param {{ health?: Record<string, unknown> } & Record<string, unknown>} [changes]
 */
export function accountView(name, { health = {}, ...rest } = {}) {
  return {
    health: {
      name,
      address: `${name}@contoso.example`,
      state: "working",
      reason: "tokens are fresh",
      signedInAs: `${name}@contoso.example`,
      accessExpires: [["outlook", NOW + 3000]],
      refreshLastUsedAt: NOW - 3600,
      refreshInactiveDaysLeft: 89,
      refreshInactiveAt: NOW + 89 * 86_400,
      refreshInactivityDays: 90,
      keepAliveDueAt: NOW + 6 * 86_400,
      credentialExpiresAt: null,
      credentialDue: false,
      ...health,
    },
    flow: "auth-code",
    services: ["imap", "smtp"],
    sharedMailbox: null,
    scopes: ["https://outlook.office.com/IMAP.AccessAsUser.All", "https://outlook.office.com/SMTP.Send", "offline_access"],
    registrationName: "Contoso mail",
    clientId: CLIENT_ID,
    lastFailure: null,
    revocation,
    ...rest,
  };
}
