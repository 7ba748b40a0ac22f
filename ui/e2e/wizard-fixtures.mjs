// Data for the wizard suite: what Rust answers, shaped like the generated bindings, with the diagnoses' texts
// taken from mailgrant-core's catalogue.
import { mailSettings } from "./handoff-fixtures.mjs";
import { defaultAppInfo } from "./harness.mjs";

export const ADDRESS = "adele@contoso.com";
export const CLIENT_ID = "6731de76-14a6-49ae-97bc-6eba6914391e";
export const TENANT_ID = "3f8a2c1e-5b7d-4e9f-a1c3-6d2e8b4f0a17";
// Made up at run time: nothing secret-looking is committed.
export const SECRET_VALUE = `Xk58Q~${"d".repeat(35)}`;
export const SECRET_ID = "0a7f6e3b-1c2d-4e5f-9a8b-7c6d5e4f3a2b";
/** A background service's Enterprise application Object ID (not the App registration's). */
export const OBJECT_ID = "1b4f2c3d-5e6f-4a7b-8c9d-0e1f2a3b4c5d";
export const SIGN_IN_URL =
  "https://login.microsoftonline.com/contoso.com/oauth2/v2.0/authorize?client_id=6731de76-14a6-49ae-97bc-6eba6914391e&response_type=code&redirect_uri=http%3A%2F%2Flocalhost%3A53117&scope=https%3A%2F%2Foutlook.office.com%2FIMAP.AccessAsUser.All%20https%3A%2F%2Foutlook.office.com%2FSMTP.Send%20offline_access&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256&state=Q1w2E3r4";

const ADMIN_MESSAGE = `Hello,

The mailbox ${ADDRESS} can't read mail over IMAP and send mail over SMTP yet: Microsoft 365 turned off passwords for mail programs, and the sign-in that replaces them (OAuth2, through Mailgrant) needs an administrator to approve or turn on a few things. Could you please do these steps?

1. Allow users to consent to these permissions for the app, or grant consent for the organisation:
   - Microsoft Graph › IMAP.AccessAsUser.All: Read and change the mailbox over IMAP
   - Microsoft Graph › SMTP.Send: Send mail over SMTP
   - Microsoft Graph › offline_access: Stay signed in (refresh tokens)
2. Make sure authenticated SMTP is allowed for the mailbox (Exchange Online PowerShell):

Set-CASMailbox -Identity '${ADDRESS}' -SmtpClientAuthenticationDisabled $false

Thank you!
`;

const REGISTER_MESSAGE = `Hello,

The mailbox ${ADDRESS} can't read mail over IMAP and send mail over SMTP yet: Microsoft 365 turned off passwords for mail programs, and the sign-in that replaces them (OAuth2, through Mailgrant) needs an app registration in our Microsoft Entra directory. I may not create app registrations. Could you please create one for me?

1. Entra admin center › App registrations › New registration. Name: Mailgrant (${ADDRESS}).
2. Supported account types: Accounts in this organizational directory only (Single tenant).
3. Redirect URI: platform "Public client/native (mobile & desktop)", http://localhost. Then Register.
4. API permissions › Add a permission, and add:
   - Microsoft Graph › Delegated permissions › IMAP.AccessAsUser.All
   - Microsoft Graph › Delegated permissions › SMTP.Send
5. Send me the Application (client) ID and the Directory (tenant) ID from the app's Overview page.

Thank you!
`;

/** @param {Partial<Record<string, unknown>>} [overrides] */
export function guide(overrides = {}) {
  return {
    portalUrl: "https://entra.microsoft.com",
    newRegistrationUrl:
      "https://entra.microsoft.com/#view/Microsoft_AAD_RegisteredApps/CreateApplicationBlade/quickStartType~/null/isMSAApp~/false",
    appRegistrationsUrl: "https://entra.microsoft.com/#view/Microsoft_AAD_RegisteredApps/ApplicationsListBlade",
    accountType: "Accounts in this organizational directory only (Single tenant)",
    platform: "Public client/native (mobile & desktop)",
    redirectUri: "http://localhost",
    permissions: [
      {
        api: "Microsoft Graph",
        name: "IMAP.AccessAsUser.All",
        kind: "Delegated permissions",
        adminConsentRequired: false,
        plain: "Read and change the mailbox over IMAP",
      },
      {
        api: "Microsoft Graph",
        name: "SMTP.Send",
        kind: "Delegated permissions",
        adminConsentRequired: false,
        plain: "Send mail over SMTP",
      },
      {
        api: "Microsoft Graph",
        name: "offline_access",
        kind: "Delegated permissions",
        adminConsentRequired: false,
        plain: "Stay signed in (refresh tokens)",
      },
      {
        api: "Microsoft Graph",
        name: "User.Read",
        kind: "Delegated permissions",
        adminConsentRequired: false,
        plain: "Read your basic profile",
      },
    ],
    adminConsentNeeded: false,
    allowPublicClientFlows: false,
    needsSecret: false,
    adminConsentUrl: null,
    exchangePowershell: null,
    needsEnterpriseObjectId: false,
    enterpriseObjectIdProblem: null,
    adminMessage: ADMIN_MESSAGE,
    registerMessage: REGISTER_MESSAGE,
    ...overrides,
  };
}

/** A Web app (client secret) registered for the loopback redirect. */
export const webGuide = guide({ platform: "Web", needsSecret: true });

/** A background service: application permissions, admin consent, the Exchange commands. */
export const appOnlyGuide = guide({
  platform: null,
  redirectUri: null,
  needsSecret: true,
  adminConsentNeeded: true,
  permissions: [
    {
      api: "Office 365 Exchange Online",
      name: "IMAP.AccessAsApp",
      kind: "Application permissions",
      adminConsentRequired: true,
      plain: "Open mailboxes over IMAP as the app",
    },
  ],
  adminConsentUrl: `https://login.microsoftonline.com/${TENANT_ID}/v2.0/adminconsent?client_id=${CLIENT_ID}&scope=https%3A%2F%2Foutlook.office365.com%2F.default&redirect_uri=https%3A%2F%2Flogin.microsoftonline.com%2Fcommon%2Foauth2%2Fnativeclient&state=mailgrant-admin-consent`,
  needsEnterpriseObjectId: true,
  adminMessage: ADMIN_MESSAGE.replace("Allow users to consent", "Grant admin consent"),
});

/** The Exchange Online PowerShell Rust writes once the Object ID is in: complete, no placeholder. */
export const APP_ONLY_POWERSHELL = [
  "# Run in PowerShell as an Exchange administrator.",
  "Install-Module -Name ExchangeOnlineManagement -Scope CurrentUser   # once per computer",
  `Connect-ExchangeOnline -Organization '${TENANT_ID}'`,
  "# The Object ID is the Enterprise application's, NOT the App registration's.",
  `New-ServicePrincipal -AppId '${CLIENT_ID}' -ObjectId '${OBJECT_ID}' -DisplayName 'Mailgrant'`,
  `Add-MailboxPermission -Identity '${ADDRESS}' -User '${OBJECT_ID}' -AccessRights FullAccess`,
  "Get-ServicePrincipal | Format-List DisplayName,AppId,ObjectId   # check",
].join("\n");

/** The background service's guide with the Object ID in. */
export const appOnlyGuideComplete = { ...appOnlyGuide, exchangePowershell: APP_ONLY_POWERSHELL };

export const health = {
  name: ADDRESS,
  address: ADDRESS,
  state: "not-signed-in",
  reason: "Nobody has signed in yet.",
  signedInAs: null,
  accessExpires: [],
  refreshLastUsedAt: null,
  refreshInactiveDaysLeft: null,
  refreshInactiveAt: null,
  refreshInactivityDays: 90,
  keepAliveDueAt: null,
  credentialExpiresAt: null,
  credentialDue: false,
};

export const signedInHealth = { ...health, state: "working", reason: "Signed in.", signedInAs: ADDRESS };

/**
 * @param {string} code
 * @param {"you" | "it-admin" | "app-owner" | "microsoft"} fixer
 * @param {string} title
 * @param {string} explanation
 * @param {string[]} steps
 * @param {{ label: string, url: string }[]} links
 * @param {Partial<Record<string, unknown>>} raw
 * @param {"sign-in-again" | "correct-pasted-value" | "review-registration" | "ask-admin" | "try-again"} remedy what
 *   fixes it, as Rust decides
 */
function diagnosis(code, fixer, title, explanation, steps, links, raw, remedy) {
  return {
    code,
    title,
    explanation,
    fixer,
    steps,
    links,
    retryable: false,
    remedy,
    raw: {
      aadsts: null,
      error: null,
      errorDescription: null,
      traceId: null,
      correlationId: null,
      timestamp: null,
      httpStatus: null,
      serverReply: null,
      ...raw,
    },
  };
}

const APP_REGISTRATIONS = {
  label: "Entra admin center › App registrations",
  url: "https://entra.microsoft.com/#view/Microsoft_AAD_RegisteredApps/ApplicationsListBlade",
};
const TRACE = {
  traceId: "0b3a7c1e-58f2-4d10-9a1e-6f2d8c4b1a00",
  correlationId: "5e0c2f7a-9d14-4b8e-a3c1-2f6d7e8a9b10",
  timestamp: "2026-11-23 10:00:00Z",
};

export const wrongSecret = diagnosis(
  "AADSTS7000215",
  "app-owner",
  "The client secret is wrong",
  "Microsoft rejected the client secret Mailgrant sent for this app. Almost always the wrong column was copied: copy the secret's Value, not its Secret ID (both look like random text). It can also be a secret of a different app registration, or one that lost characters when it was pasted.",
  [
    "In the Entra admin center open App registrations › your app › Certificates & secrets.",
    "A secret's Value is shown only right after it is created. If you no longer have it, click New client secret and create one.",
    "Copy the Value column, not the Secret ID.",
    "In Mailgrant, replace the app's client secret with it (Replace client secret).",
    "Sign in again.",
  ],
  [APP_REGISTRATIONS],
  {
    aadsts: 7000215,
    error: "invalid_client",
    errorDescription:
      "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '6731de76-14a6-49ae-97bc-6eba6914391e'.",
    httpStatus: 401,
    ...TRACE,
  },
  "correct-pasted-value",
);

export const unknownTenant = diagnosis(
  "AADSTS90002",
  "you",
  "Microsoft can't find this organisation",
  "The tenant (the organisation's ID or domain) Mailgrant is set up with is unknown to this Microsoft cloud. It may be mistyped, the organisation may have been deleted or have no active subscription, or it lives in another Microsoft cloud (US Government or China).",
  [
    "In the Microsoft Entra admin center open App registrations › your app › Overview and copy the Directory (tenant) ID.",
    "In Mailgrant, compare it with the app registration's Tenant and correct it (a domain such as contoso.onmicrosoft.com also works).",
    "If your organisation uses a US Government or China cloud, choose that cloud in Mailgrant's app registration settings.",
    "For a personal Outlook.com or Hotmail mailbox, use 'consumers' or 'common' as the tenant.",
  ],
  [APP_REGISTRATIONS],
  {
    aadsts: 90002,
    error: "invalid_tenant",
    errorDescription: "AADSTS90002: Tenant 'nowhere.example' not found.",
    httpStatus: 400,
    ...TRACE,
  },
  "correct-pasted-value",
);

export const redirectMismatch = diagnosis(
  "AADSTS50011",
  "app-owner",
  "The app doesn't list the address the sign-in returns to",
  "After you sign in, Microsoft sends the result back to an address (the redirect URI). It only does that for addresses listed in the app registration, spelled exactly the same, under the right platform. The address Mailgrant used is not in that list (or differs in upper/lower case, a trailing slash, or the platform it is listed under).",
  [
    "In the Microsoft Entra admin center open App registrations › your app › Authentication.",
    "Find the redirect URI Mailgrant uses in the details below (or in Mailgrant's app registration settings): http://localhost, mailgrant://auth or https://login.microsoftonline.com/common/oauth2/nativeclient.",
    "Add it exactly as shown under 'Mobile and desktop applications' for an app without a secret, or under 'Web' for an app with a client secret or certificate.",
    "Save, wait a minute for the change to spread, then sign in again.",
  ],
  [APP_REGISTRATIONS],
  {
    aadsts: 50011,
    error: "invalid_request",
    errorDescription:
      "AADSTS50011: The redirect URI 'http://localhost:53117/' specified in the request does not match the redirect URIs configured for the application '6731de76-14a6-49ae-97bc-6eba6914391e'.",
    httpStatus: 400,
    ...TRACE,
  },
  "review-registration",
);

export const consentRequired = diagnosis(
  "AADSTS65001",
  "you",
  "The app hasn't been given permission yet",
  "Nobody has agreed yet to let this app use the mailbox permissions it asks for. Normally you agree on a consent screen during a browser sign-in. A background refresh or an app-only request can't show that screen, and some organisations only let admins agree.",
  [
    "In Mailgrant, sign this account in again and finish the sign-in in the browser.",
    "When Microsoft lists the permissions the app wants, click Accept.",
    "If Microsoft says an admin has to approve, or the account uses app-only access, ask your IT admin to grant admin consent: Entra admin center › Enterprise applications (or App registrations › your app › API permissions) › Grant admin consent.",
  ],
  [
    {
      label: "Entra admin center › Enterprise applications",
      url: "https://entra.microsoft.com/#view/Microsoft_AAD_IAM/StartboardApplicationsMenuBlade/~/AppAppsPreview",
    },
  ],
  {
    aadsts: 65001,
    error: "invalid_grant",
    errorDescription: "AADSTS65001: The user or administrator has not consented to use the application.",
    httpStatus: 400,
    ...TRACE,
  },
  "sign-in-again",
);

export const adminApprovalRequired = diagnosis(
  "AADSTS90094",
  "it-admin",
  "An admin has to approve this app",
  "Your organisation lets only administrators approve apps that ask for these permissions, so you can't agree to them yourself.",
  [
    "In Mailgrant, use 'Ask your IT admin' to copy the admin-consent link and the message for them.",
    "Your IT admin opens the link (or Entra admin center › Enterprise applications › the app › Permissions) and clicks Grant admin consent.",
    "After that, sign in again.",
  ],
  [
    {
      label: "Entra admin center › Enterprise applications",
      url: "https://entra.microsoft.com/#view/Microsoft_AAD_IAM/StartboardApplicationsMenuBlade/~/AppAppsPreview",
    },
  ],
  {
    aadsts: 90094,
    error: "invalid_grant",
    errorDescription: "AADSTS90094: Admin consent is required for the permissions requested by this application.",
    httpStatus: 400,
    ...TRACE,
  },
  "ask-admin",
);

/** Microsoft's refusal of a replaced client secret (replace_client_secret), as Rust words it. */
export const secretRefused = {
  code: "bad-secret",
  message: "Microsoft did not accept the new secret: The client secret is wrong (AADSTS7000215)",
  diagnosis: wrongSecret,
};

const EXO_POWERSHELL = {
  label: "Connect to Exchange Online PowerShell",
  url: "https://learn.microsoft.com/powershell/exchange/connect-to-exchange-online-powershell",
};
const ACTIVE_USERS = { label: "Microsoft 365 admin center › Users › Active users", url: "https://admin.microsoft.com/#/users" };

export const smtpAuthDisabled = diagnosis(
  "SMTP 5.7.139",
  "it-admin",
  "Authenticated SMTP is turned off for this mailbox",
  "Exchange Online refuses to accept mail from programs that sign in over SMTP for adele, because 'Authenticated SMTP' is turned off for this mailbox. The sign-in itself was fine.",
  [
    `Your IT admin turns it on, in Exchange Online PowerShell: Connect-ExchangeOnline, then Set-CASMailbox -Identity ${ADDRESS} -SmtpClientAuthenticationDisabled $false.`,
    `Or in the Microsoft 365 admin center: Users › Active users › ${ADDRESS} › Mail › Manage email apps › tick Authenticated SMTP › Save changes.`,
    "Settings like these can take up to an hour to apply; then test the account again.",
  ],
  [{ label: "Microsoft: authenticated SMTP is turned off", url: "https://aka.ms/smtp_auth_disabled" }, ACTIVE_USERS, EXO_POWERSHELL],
  {
    serverReply:
      "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Mailbox. Visit https://aka.ms/smtp_auth_disabled for more information. [AM0PR02CA0001.eurprd02.prod.outlook.com]",
  },
  "ask-admin",
);

export const imapNotConnected = diagnosis(
  "IMAP_NOT_CONNECTED",
  "it-admin",
  "Signed in, but the mailbox can't be opened over IMAP",
  "The server accepted the sign-in and then refused to open adele. Most often IMAP is turned off for this mailbox. It also happens when the account opens a mailbox it has no access to, such as a shared mailbox without Full Access.",
  [
    `Your IT admin turns IMAP on for the mailbox, in Exchange Online PowerShell: Connect-ExchangeOnline, then Set-CASMailbox -Identity ${ADDRESS} -ImapEnabled $true.`,
    `Or in the Microsoft 365 admin center: Users › Active users › ${ADDRESS} › Mail › Manage email apps › tick IMAP › Save changes.`,
    "Settings like these can take up to an hour to apply; then test the account again.",
  ],
  [EXO_POWERSHELL, ACTIVE_USERS],
  { serverReply: "A1 NO User is authenticated but not connected." },
  "ask-admin",
);

// ---------------------------------------------------------------------------------------------- the probes

/**
 * @param {"dns"|"tcp"|"tls"|"token"|"auth"|"mailbox"|"send"} layer
 * @param {"passed"|"warning"|"failed"|"skipped"} status
 * @param {number} elapsedMs
 * @param {string} detail
 */
const L = (layer, status, elapsedMs, detail) => ({ layer, status, elapsedMs, detail });

export const IMAP_SERVER = "outlook.office365.com:993";
export const SMTP_SERVER = "smtp.office365.com:587";

export const imapLayersOk = [
  L("dns", "passed", 12, "outlook.office365.com → 52.97.146.162, 2603:1026:c0a:8a::2"),
  L("tcp", "passed", 21, "connected to 52.97.146.162:993"),
  L("tls", "passed", 48, "TLS 1.3, certificate for outlook.office365.com valid until 2027-03-14"),
  L("token", "passed", 3, "for https://outlook.office.com, IMAP.AccessAsUser.All, user adele@contoso.com"),
  L("auth", "passed", 140, "XOAUTH2 accepted"),
  L("mailbox", "passed", 61, "INBOX: 1,284 messages"),
];

export const smtpLayersOk = [
  L("dns", "passed", 9, "smtp.office365.com → 52.98.207.66"),
  L("tcp", "passed", 18, "connected to 52.98.207.66:587"),
  L("tls", "passed", 52, "STARTTLS, TLS 1.3"),
  L("token", "passed", 2, "for https://outlook.office.com, SMTP.Send"),
  L("auth", "passed", 118, "XOAUTH2 accepted"),
  L("send", "skipped", 0, "not asked to send a test message"),
];

export const smtpLayersAuthDisabled = [
  ...smtpLayersOk.slice(0, 4),
  L("auth", "failed", 131, "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Mailbox."),
  L("send", "skipped", 0, "not run"),
];

export const imapLayersNotConnected = [
  ...imapLayersOk.slice(0, 3),
  L("token", "warning", 3, "for https://outlook.office.com; the token is for adele@contoso.com"),
  L("auth", "passed", 150, "XOAUTH2 accepted"),
  L("mailbox", "failed", 40, "NO User is authenticated but not connected."),
];

/**
 * @param {"imap"|"smtp"|"pop"|"graph"} protocol
 * @param {string} server
 * @param {ReturnType<typeof L>[]} layers
 * @param {ReturnType<typeof diagnosis> | null} failure
 */
export function report(protocol, server, layers, failure = null) {
  return {
    protocol,
    server,
    security: protocol === "smtp" ? "startTls" : "implicitTls",
    mailbox: ADDRESS,
    mechanism: "xoauth2",
    token: null,
    layers,
    elapsedMs: layers.reduce((sum, l) => sum + l.elapsedMs, 0),
    outcome: failure ? { status: "failed", diagnosis: failure } : { status: "ok" },
  };
}

/**
 * The channel messages a probe run sends: every layer but the skipped ones, as they complete.
 * @param {ReturnType<typeof report>[]} reports
 */
export function progressOf(reports) {
  return reports.flatMap((r) =>
    r.layers.filter((l) => l.status !== "skipped").map((layer) => ({ protocol: r.protocol, server: r.server, layer })),
  );
}

export const reportsOk = [report("imap", IMAP_SERVER, imapLayersOk), report("smtp", SMTP_SERVER, smtpLayersOk)];

// ---------------------------------------------------------------------------------------------- fixtures

export const browserEvent = { kind: "browser", url: SIGN_IN_URL, opened: true, paste: false };
export const deviceEvent = {
  kind: "deviceCode",
  userCode: "HDKQ-7PXM",
  verificationUri: "https://microsoft.com/devicelogin",
  expiresInSecs: 900,
};

/**
 * Everything the wizard calls, answering as a healthy set-up would.
 * @param {{ guide?: unknown, rules?: import("./mocks").Rule[], responses?: Record<string, unknown>, errors?: Record<string, unknown> }} [extra]
 * @returns {import("./mocks").Fixture}
 */
export function wizardFixture(extra = {}) {
  return {
    responses: {
      app_info: defaultAppInfo,
      // The start screen's own calls: no account yet, so it is the welcome screen.
      list_accounts: [],
      account_views: [],
      list_credentials: [],
      list_imports: [],
      import_sources: [],
      check_field: { verdict: "ok", value: "" },
      setup_guide: extra.guide ?? guide(),
      discover_tenant: { tenantId: TENANT_ID, cloudInstance: "microsoftonline.com", regionScope: "EU" },
      save_account: health,
      sign_in: signedInHealth,
      test_account: reportsOk,
      // "Use this mailbox" on step 6.
      mail_settings: mailSettings({ account: ADDRESS, address: ADDRESS }),
      ...extra.responses,
    },
    errors: extra.errors,
    events: {
      sign_in: [browserEvent],
      test_account: progressOf(reportsOk),
    },
    eventGapMs: 40,
    rules: [
      ...(extra.rules ?? []),
      {
        cmd: "check_field",
        args: { field: "clientId", value: "not-a-client-id" },
        response: {
          verdict: "problem",
          message:
            "That is not an Application (client) ID: it is a GUID like 6731de76-14a6-49ae-97bc-6eba6914391e, on the app's Overview page.",
        },
      },
      {
        cmd: "check_field",
        args: { field: "clientSecret", value: SECRET_ID },
        response: {
          verdict: "warning",
          value: SECRET_ID,
          message:
            "This looks like the Secret ID, not the secret's Value. In Certificates & secrets, copy the Value column. If the Value is hidden now, create a new secret and copy its Value right away.",
        },
      },
      {
        cmd: "discover_tenant",
        args: { draft: { tenant: "nowhere.example" } },
        error: { code: "sign-in", message: "cannot discover the tenant", diagnosis: unknownTenant },
      },
    ],
  };
}

// ---------------------------------------------------------------------------------------------- another product

/** What `product_presets` answers: mailgrant-core's presets (src-tauri/core/src/product.rs). */
export const productPresets = [
  {
    id: "email-this-issue",
    name: "Email This Issue (Jira)",
    userSignsIn: true,
    redirectUriFrom:
      "the Callback URL in the app's OAuth2 Client Credentials dialog (it is your Jira site's own: copy it from there, another site's does not work)",
    services: ["imap", "smtp"],
    notes: ["One registration can serve incoming and outgoing mail; a separate one per task works too."],
  },
  {
    id: "emailengine",
    name: "EmailEngine",
    userSignsIn: true,
    redirectUriFrom:
      "EmailEngine's address followed by /oauth (an https:// address, or http://localhost — Microsoft refuses http://127.0.0.1)",
    services: ["imap", "smtp"],
    notes: ["In EmailEngine, the redirect URL must be exactly the one registered here."],
  },
  {
    id: "background-service",
    name: "A background service (no user signs in)",
    userSignsIn: false,
    redirectUriFrom: "",
    services: ["imap", "pop", "smtp"],
    notes: [
      "An admin grants consent for the organisation, and registers the app in Exchange Online (New-ServicePrincipal) with access to the mailboxes it may open (Add-MailboxPermission).",
    ],
  },
  {
    id: "generic",
    name: "Another product",
    userSignsIn: true,
    redirectUriFrom: "the callback or redirect URL the product shows on its Microsoft 365 or OAuth2 settings page",
    services: ["imap", "smtp"],
    notes: [],
  },
];

export const PRODUCT_REDIRECT_URI = "https://contoso.atlassian.net/plugins/servlet/oauth2/callback";

/**
 * What `hand_over` answers for the account Mailgrant verified (delegated: the consent scopes with offline_access).
 * @param {string | null} redirectUri
 */
export function handOver(redirectUri = PRODUCT_REDIRECT_URI) {
  const settings = mailSettings({ account: ADDRESS, address: ADDRESS });
  return {
    product: "Email This Issue (Jira)",
    clientId: CLIENT_ID,
    tenantId: TENANT_ID,
    authority: `https://login.microsoftonline.com/${TENANT_ID}`,
    authorizeUrl: `https://login.microsoftonline.com/${TENANT_ID}/oauth2/v2.0/authorize`,
    tokenUrl: `https://login.microsoftonline.com/${TENANT_ID}/oauth2/v2.0/token`,
    scopes: [
      "https://outlook.office.com/IMAP.AccessAsUser.All",
      "https://outlook.office.com/SMTP.Send",
      "offline_access",
    ],
    redirectUri,
    servers: settings.servers,
    userName: settings.userName,
    secretHint: SECRET_VALUE.slice(0, 3),
  };
}
