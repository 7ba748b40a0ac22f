// The accounts dashboard, in Debian's Chromium with the IPC mocked: every account state, the live countdowns,
// refresh (and a refresh Microsoft refuses), test with live layers, sign in again (browser, pasted address, device
// code, cancel, a second sign-in ending the first), forget with the revocation info, revoke consent, replacing an
// app's client secret (accepted, then refused with its diagnosis), live reload on accounts-changed, and axe in light,
// dark and at 800×600.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { defaultAppInfo, startHarness } from "./harness.mjs";
import { calls, control, openControlled } from "./ipc-control.mjs";
import { SECRET_ID, SECRET_VALUE, secretRefused } from "./wizard-fixtures.mjs";

/** @type {Awaited<ReturnType<typeof startHarness>>} */
let harness;
before(async () => {
  harness = await startHarness();
});
after(async () => {
  await harness?.close();
});

// ------------------------------------------------------------------------------------------------ fixtures

const NOW = Math.floor(Date.now() / 1000);
const DAY = 86_400;

const workRevocation = {
  user: { label: "My Apps (your work or school account)", url: "https://myapps.microsoft.com" },
  admin: {
    label: "Entra admin center › Enterprise applications (admins: remove the app for everyone)",
    url: "https://entra.microsoft.com/contoso.example#view/Microsoft_AAD_IAM/StartboardApplicationsMenuBlade/~/AppAppsPreview",
  },
  effect:
    "Revoking consent stops the app from getting new tokens for this account: its refresh token stops working at once, but an access token already issued stays valid until it expires (about an hour). It does not delete the app registration or any mail.",
};
const personalRevocation = {
  user: {
    label: "Microsoft account › Apps and services you've given access",
    url: "https://account.live.com/consent/Manage",
  },
  admin: null,
  effect: workRevocation.effect,
};

/** @param {Record<string, unknown>} health @param {Record<string, unknown>} [rest] */
function account(health, rest = {}) {
  return {
    health: {
      address: `${health.name}@contoso.example`,
      signedInAs: `${health.name}@contoso.example`,
      accessExpires: [],
      refreshLastUsedAt: null,
      refreshInactiveDaysLeft: null,
      refreshInactivityDays: 90,
      keepAliveDueAt: null,
      credentialExpiresAt: null,
      credentialDue: false,
      ...health,
      // As Rust reports it: the refresh token's last use plus Microsoft's limit.
      refreshInactiveAt: typeof health.refreshLastUsedAt === "number" ? health.refreshLastUsedAt + 90 * DAY : null,
    },
    flow: "auth-code",
    services: ["imap", "smtp"],
    sharedMailbox: null,
    scopes: [
      "https://outlook.office.com/IMAP.AccessAsUser.All",
      "https://outlook.office.com/SMTP.Send",
      "offline_access",
    ],
    registrationName: "Contoso mail",
    clientId: "6731de76-14a6-49ae-97bc-6eba6914391e",
    lastFailure: null,
    revocation: workRevocation,
    ...rest,
  };
}

const adele = account({
  name: "adele",
  state: "working",
  reason: "tokens are fresh",
  accessExpires: [
    ["outlook", NOW + 42 * 60 + 13],
    ["graph", NOW + 3 * 3600],
  ],
  refreshLastUsedAt: NOW - 2 * 3600,
  refreshInactiveDaysLeft: 89,
  keepAliveDueAt: NOW + 6 * DAY,
});
const bob = account(
  {
    name: "bob",
    address: "bob@outlook.example",
    signedInAs: "bob@outlook.example",
    state: "expiring-soon",
    reason: "the refresh token runs out in 12 days unless it is used",
    refreshLastUsedAt: NOW - 78 * DAY,
    refreshInactiveDaysLeft: 12,
    keepAliveDueAt: NOW - 10 * DAY,
  },
  { revocation: personalRevocation, registrationName: "Personal mail" },
);
const carol = account(
  {
    name: "carol",
    state: "needs-sign-in",
    reason: "The refresh token has expired (AADSTS70008)",
    refreshLastUsedAt: NOW - 95 * DAY,
    refreshInactiveDaysLeft: -5,
    keepAliveDueAt: NOW - 65 * DAY,
  },
  { lastFailure: { code: "AADSTS70008", title: "The refresh token has expired", at: NOW - 3 * 3600, signInAgain: true, remedy: "try-again" } },
);
const dave = account(
  {
    name: "reports",
    address: "reports@contoso.example",
    signedInAs: null,
    state: "failing",
    reason: "The app's client secret has expired (AADSTS7000222)",
    credentialExpiresAt: NOW - 2 * DAY,
    credentialDue: true,
  },
  {
    flow: "client-credentials",
    services: ["graph-send"],
    scopes: ["https://graph.microsoft.com/.default"],
    registrationName: "Reports daemon",
    lastFailure: {
      code: "AADSTS7000222",
      title: "The app's client secret has expired",
      at: NOW - 20 * 60,
      signInAgain: false,
      remedy: "correct-pasted-value",
    },
  },
);
const erin = account({
  name: "erin",
  signedInAs: null,
  state: "not-signed-in",
  reason: "not signed in yet",
});

/**
 * @param {string} code @param {string} title @param {string} explanation @param {string} fixer @param {string[]} steps
 * @param {Record<string, unknown>} raw
 * @param {"sign-in-again" | "correct-pasted-value" | "review-registration" | "ask-admin" | "try-again"} remedy as Rust
 *   decides it
 */
function diagnosis(code, title, explanation, fixer, steps, raw = {}, remedy = "try-again") {
  return {
    code,
    title,
    explanation,
    fixer,
    steps,
    links: [],
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

const explanations = {
  AADSTS70008: diagnosis(
    "AADSTS70008",
    "The refresh token has expired",
    "Nothing used this account's refresh token for 90 days, so Microsoft revoked it.",
    "you",
    ["Click “Sign in again” and sign in with the mailbox's account."],
  ),
  AADSTS7000222: diagnosis(
    "AADSTS7000222",
    "The app's client secret has expired",
    "The password the app registration uses to prove who it is ran out. Every mailbox that signs in through it stops.",
    "app-owner",
    ["Open the app registration in the Entra admin center.", "Add a new client secret and paste it into Mailgrant."],
    {},
    "correct-pasted-value",
  ),
  AADSTS65001: diagnosis(
    "AADSTS65001",
    "The permission was withdrawn",
    "The user or an admin withdrew the consent for this app.",
    "you",
    ["Sign in again and accept the permissions."],
    {},
    "sign-in-again",
  ),
};

const consentRevoked = {
  code: "sign-in-required",
  message: "Microsoft refused the refresh token: sign in again",
  diagnosis: diagnosis(
    "AADSTS65001",
    "The permission was withdrawn",
    "The user or an admin withdrew the consent Mailgrant's app registration had for this mailbox, so Microsoft no longer gives it tokens.",
    "you",
    ["Click “Sign in again”.", "On Microsoft's page, accept the permissions the app asks for."],
    {
      aadsts: 65001,
      error: "invalid_grant",
      errorDescription:
        "AADSTS65001: The user or administrator has not consented to use the application with ID '6731de76-14a6-49ae-97bc-6eba6914391e'.",
      traceId: "0b6f2a54-1f0e-4f8f-9d0e-2c5e8b1a2d00",
      correlationId: "5a0f3d0c-8d3e-4c1e-a0a4-3f3c7c1e9b11",
      timestamp: "2026-12-03 11:02:12Z",
      httpStatus: 400,
    },
    "sign-in-again",
  ),
};

const allAccounts = [adele, bob, carol, dave, erin];

/** @param {unknown[]} views */
function fixture(views = allAccounts) {
  return {
    responses: {
      app_info: defaultAppInfo,
      account_views: views,
      list_credentials: [],
      list_imports: [],
      import_sources: [],
      refresh_account: { ...adele.health },
      remove_account: workRevocation,
      test_account: [],
      sign_in: { ...adele.health },
      cancel_sign_in: false,
    },
  };
}

const controlConfig = { byArg: { explain_code: { arg: "code", table: explanations } } };

/** @param {import("playwright-core").Page} page @param {string} name */
const card = (page, name) => page.locator(`[data-testid="account-card"][data-account="${name}"]`);
/** @param {import("playwright-core").Page} page @param {string} name @param {string} state */
async function waitState(page, name, state) {
  await card(page, name).locator(`[data-testid="account-state"][data-state="${state}"]`).waitFor();
}
/** @param {import("playwright-core").Page} page @param {string} name @param {string} text */
const button = (page, name, text) => card(page, name).getByRole("button", { name: text, exact: true });

// ------------------------------------------------------------------------------------------------ tests

describe("accounts dashboard", () => {
  it("replaces the welcome screen once an account exists, with every state in words and icons", async () => {
    const { page, context, consoleErrors } = await openControlled(harness, fixture(), {}, controlConfig);
    await page.getByRole("heading", { level: 1, name: "Your mailboxes" }).waitFor();
    assert.equal(await page.title(), "Accounts — Mailgrant");
    assert.equal(
      await page.getByTestId("accounts-summary").textContent(),
      "5 accounts · 1 needs sign-in · 1 failing · 1 expiring soon · 1 not signed in · 1 working",
    );

    const expected = {
      adele: ["working", "Working"],
      bob: ["expiring-soon", "Expiring soon"],
      carol: ["needs-sign-in", "Needs sign-in"],
      reports: ["failing", "Failing"],
      erin: ["not-signed-in", "Not signed in"],
    };
    for (const [name, [state, word]] of Object.entries(expected)) {
      const badge = card(page, name).getByTestId("account-state");
      assert.equal(await badge.getAttribute("data-state"), state, name);
      assert.equal((await badge.textContent())?.trim(), word, name);
      assert.equal(await badge.locator("svg").count(), 1, `${name}: an icon as well as the word`);
      for (const text of ["Refresh now", "Test", "Forget", "Revoke consent"]) {
        assert.equal(await button(page, name, text).count(), 1, `${name} has ${text}`);
      }
      // An app-only account gets its tokens with the app's credential: nobody signs in.
      const signsIn = name !== "reports";
      assert.equal(await button(page, name, "Sign in again").count(), signsIn ? 1 : 0, `${name}: Sign in again`);
    }
    // Most urgent first.
    const order = await page.getByTestId("account-card").evaluateAll((els) => els.map((e) => e.getAttribute("data-account")));
    assert.deepEqual(order, ["carol", "reports", "bob", "erin", "adele"]);

    // Working: who, tokens counting down, refresh-token health, forecast, scopes.
    const a = card(page, "adele");
    assert.equal((await a.getByTestId("signed-in-as").textContent())?.trim(), "adele@contoso.example");
    assert.match((await a.getByTestId("account-reason").textContent()) ?? "", /Tokens are fresh\./);
    const outlook = a.locator('[data-testid="access-expiry"][data-resource="outlook"]');
    assert.match((await outlook.textContent()) ?? "", /Outlook \(IMAP, POP, SMTP\):\s+expires in 4[12]:\d\d/);
    assert.match((await a.locator('[data-resource="graph"]').textContent()) ?? "", /expires in [23] h \d\d min/);
    const refresh = (await a.getByTestId("refresh-health").textContent()) ?? "";
    assert.match(refresh, /Last used 2 hours ago/);
    assert.match(refresh, /89 days left/);
    assert.match((await a.getByTestId("forecast").textContent()) ?? "", /Not expected: Mailgrant refreshes the token in 6 days/);
    for (const scope of ["IMAP.AccessAsUser.All", "SMTP.Send", "offline_access"]) {
      assert.ok(await a.getByRole("list", { name: "Permissions granted" }).getByText(scope).isVisible(), scope);
    }

    // Expiring soon: days left and when a sign-in will be needed.
    const b = card(page, "bob");
    assert.match((await b.getByTestId("account-reason").textContent()) ?? "", /The refresh token runs out in 12 days/);
    assert.match((await b.getByTestId("refresh-health").textContent()) ?? "", /12 days left/);
    assert.match((await b.getByTestId("forecast").textContent()) ?? "", /sign in again after/);

    // Needs sign-in: the whole explanation of the recorded failure.
    const c = card(page, "carol");
    const reason = c.getByTestId("account-reason");
    await reason.getByTestId("diagnosis").waitFor();
    const reasonText = (await reason.textContent()) ?? "";
    assert.match(reasonText, /AADSTS70008/);
    assert.match(reasonText, /Nothing used this account's refresh token for 90 days/);
    assert.match(reasonText, /Who can fix this:\s*You/);
    assert.match((await c.getByTestId("forecast").textContent()) ?? "", /^Now/);

    // Failing (an app that signs in by itself): its own explanation, and who fixes it.
    const d = card(page, "reports");
    await d.getByTestId("diagnosis").waitFor();
    assert.match((await d.getByTestId("account-reason").textContent()) ?? "", /Whoever manages the app registration/);
    assert.match((await d.getByTestId("signed-in-as").textContent()) ?? "", /The app itself/);
    assert.match(await d.textContent() ?? "", /App's client secret\s*Expired 2 days ago/);

    // Not signed in: nothing to refresh or test yet.
    const e = card(page, "erin");
    assert.equal((await e.getByTestId("signed-in-as").textContent())?.trim(), "Nobody yet");
    assert.ok(await button(page, "erin", "Refresh now").isDisabled());
    assert.ok(await button(page, "erin", "Test").isDisabled());

    const made = await calls(page);
    assert.ok(made.includes("account_views"));
    assert.deepEqual(made.filter((c) => c === "explain_code").length, 2, "each failure code explained once");
    assert.deepEqual(await harness.axeViolations(page), []);
    assert.deepEqual(consoleErrors, []);
    await harness.screenshot(page, "ui-dashboard-light.png");
    await context.close();
  });

  it("counts the access token down live", async () => {
    const { page, context } = await openControlled(harness, fixture([adele]), {}, controlConfig);
    const outlook = card(page, "adele").locator('[data-testid="access-expiry"][data-resource="outlook"]');
    await outlook.waitFor();
    const first = await outlook.textContent();
    await page.waitForFunction(
      (before) => document.querySelector('[data-resource="outlook"]')?.textContent !== before,
      first,
      { timeout: 3000 },
    );
    assert.notEqual(await outlook.textContent(), first);
    await context.close();
  });

  it("refreshes now, and shows a refusal as a diagnosis that turns the account to needs sign-in", async () => {
    const { page, context, consoleErrors } = await openControlled(harness, fixture([adele, bob]), {}, {
      ...controlConfig,
      hold: ["refresh_account"],
    });
    await waitState(page, "bob", "expiring-soon");

    // A refresh that works: progress with a way out, then the word.
    await button(page, "bob", "Refresh now").click();
    const bobCard = card(page, "bob");
    await bobCard.getByText("Refreshing the tokens with Microsoft…").waitFor();
    assert.ok(await bobCard.getByRole("button", { name: "Stop waiting" }).isVisible());
    assert.ok(await button(page, "bob", "Test").isDisabled(), "one thing at a time per account");
    await control(page, "respond", "account_views", [adele, { ...bob, health: { ...bob.health, ...adele.health, name: "bob", address: "bob@outlook.example" } }]);
    await control(page, "settle", "refresh_account", { value: { ...adele.health, name: "bob" } });
    await waitState(page, "bob", "working");
    assert.match((await bobCard.getByTestId("account-outcome").textContent()) ?? "", /Refreshed: tokens are fresh\./);

    // Microsoft withdrew the consent: the refresh fails with a diagnosis, and the account needs a sign-in.
    await button(page, "adele", "Refresh now").click();
    const needs = {
      ...adele,
      health: {
        ...adele.health,
        state: "needs-sign-in",
        reason: "The permission was withdrawn (AADSTS65001)",
        accessExpires: [],
      },
      lastFailure: { code: "AADSTS65001", title: "The permission was withdrawn", at: NOW, signInAgain: true, remedy: "sign-in-again" },
    };
    await control(page, "respond", "account_views", [needs, bob]);
    await control(page, "settle", "refresh_account", { error: consentRevoked });
    await waitState(page, "adele", "needs-sign-in");
    const reason = card(page, "adele").getByTestId("account-reason");
    const text = (await reason.textContent()) ?? "";
    assert.match(text, /AADSTS65001/);
    assert.match(text, /withdrew the consent Mailgrant's app registration had/);
    assert.match(text, /What to do/);
    assert.doesNotMatch(text, /[{}]/, "no raw JSON");
    assert.equal(await reason.getByTestId("diagnosis").count(), 1, "one explanation, not two");
    assert.equal(
      await page.evaluate(() => document.activeElement?.closest("[data-testid=diagnosis]") !== null),
      true,
      "focus moves to the explanation",
    );
    // Raw details behind a disclosure, with copy.
    const details = reason.locator("details");
    assert.equal(await details.getAttribute("open"), null);
    await details.locator("summary").click();
    assert.match((await details.textContent()) ?? "", /Trace ID\s*0b6f2a54/);
    assert.ok(await details.getByRole("button", { name: /Copy details/ }).isVisible());
    assert.deepEqual(await harness.axeViolations(page), []);
    assert.deepEqual(consoleErrors, []);
    await harness.screenshot(page, "ui-dashboard-refresh-refused.png");
    await context.close();
  });

  it("tests the mailbox with each layer shown as it completes, and keeps the last result", async () => {
    const { page, context } = await openControlled(harness, fixture([adele]), {}, {
      ...controlConfig,
      hold: ["test_account"],
    });
    await waitState(page, "adele", "working");
    const a = card(page, "adele");
    assert.match((await a.getByTestId("last-test").textContent()) ?? "", /Not tested in this session/);
    await button(page, "adele", "Test").click();
    const live = a.getByTestId("probe-live");
    await live.waitFor();
    const server = "outlook.office365.com:993";
    /** @param {string} layer @param {string} status @param {string} detail */
    const layer = (layer, status, detail) => ({ protocol: "imap", server, layer: { layer, status, elapsedMs: 12, detail } });
    await control(page, "emit", "test_account", "onLayer", layer("dns", "passed", "2 addresses"));
    await control(page, "emit", "test_account", "onLayer", layer("tcp", "passed", "connected to 52.97.1.1"));
    await live.locator('[data-testid="probe-layer"]').nth(1).waitFor();
    assert.match((await live.textContent()) ?? "", /2 steps done/);
    assert.match((await live.textContent()) ?? "", /Find the server \(DNS\)\s*Passed\s*2 addresses/);
    await harness.screenshot(page, "ui-dashboard-testing.png");

    const smtpFailure = diagnosis(
      "SMTP 5.7.139",
      "SMTP AUTH is turned off for this mailbox",
      "Exchange Online refuses to let apps send through SMTP for this mailbox.",
      "it-admin",
      ["Ask your IT admin to allow authenticated SMTP for the mailbox."],
      { serverReply: "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Mailbox." },
      "ask-admin",
    );
    await control(page, "settle", "test_account", {
      value: [
        {
          protocol: "imap",
          server,
          security: "implicitTls",
          mailbox: "adele@contoso.example",
          mechanism: "xoauth2",
          token: null,
          layers: [
            layer("dns", "passed", "2 addresses").layer,
            layer("tcp", "passed", "connected").layer,
            layer("tls", "passed", "TLS 1.3").layer,
            layer("token", "passed", "for outlook.office.com").layer,
            layer("auth", "passed", "XOAUTH2 accepted").layer,
            layer("mailbox", "passed", "INBOX: 12 messages").layer,
          ],
          elapsedMs: 420,
          outcome: { status: "ok" },
        },
        {
          protocol: "smtp",
          server: "smtp.office365.com:587",
          security: "startTls",
          mailbox: "adele@contoso.example",
          mechanism: "xoauth2",
          token: null,
          layers: [
            { layer: "dns", status: "passed", elapsedMs: 3, detail: "1 address" },
            { layer: "auth", status: "failed", elapsedMs: 80, detail: "535 5.7.139" },
            { layer: "send", status: "skipped", elapsedMs: 0, detail: "" },
          ],
          elapsedMs: 300,
          outcome: { status: "failed", diagnosis: smtpFailure },
        },
      ],
    });
    await live.waitFor({ state: "detached" });
    assert.match((await a.getByTestId("last-test").textContent()) ?? "", /1 of 2 failed\s+just now/);
    const last = a.locator("details", { hasText: "Last test, layer by layer" });
    assert.notEqual(await last.getAttribute("open"), null, "a failed test opens its layers");
    assert.match((await last.textContent()) ?? "", /SMTP AUTH is turned off for this mailbox/);
    assert.match((await last.textContent()) ?? "", /Your IT admin/);
    assert.equal(await last.locator('[data-testid="probe-layer"][data-status="failed"]').count(), 1);
    assert.deepEqual(await harness.axeViolations(page), []);
    await harness.screenshot(page, "ui-dashboard-tested.png");

    // Stop waiting: the card is free again and says what happened.
    await button(page, "adele", "Test").click();
    await a.getByRole("button", { name: "Stop waiting" }).click();
    assert.match((await a.getByTestId("account-outcome").textContent()) ?? "", /Stopped waiting for the test/);
    assert.ok(await button(page, "adele", "Test").isEnabled());
    await context.close();
  });

  it("signs in again through the browser, with the address to open and to paste back", async () => {
    const { page, context, consoleErrors } = await openControlled(harness, fixture([carol]), {}, {
      ...controlConfig,
      hold: ["sign_in"],
    });
    await waitState(page, "carol", "needs-sign-in");
    await button(page, "carol", "Sign in again").click();
    const c = card(page, "carol");
    const progress = c.getByTestId("sign-in-progress");
    await progress.getByText("Starting the sign-in…").waitFor();
    const url = "https://login.microsoftonline.com/contoso.example/oauth2/v2.0/authorize?client_id=6731de76&state=abc";
    await control(page, "emit", "sign_in", "onEvent", { kind: "browser", url, opened: false, paste: true });
    await progress.getByText("Mailgrant could not open your browser").waitFor();
    assert.ok(await progress.getByText(url).isVisible());
    assert.ok(await progress.getByRole("button", { name: /Copy address/ }).isVisible());
    assert.ok(await progress.getByRole("button", { name: "Cancel sign-in" }).isVisible());
    assert.deepEqual(await harness.axeViolations(page), []);
    await harness.screenshot(page, "ui-dashboard-sign-in-browser.png");

    // An empty paste is caught here; a real one goes to Rust.
    await progress.getByRole("button", { name: "Continue" }).click();
    assert.ok(await progress.getByText("Paste the whole address").isVisible());
    const field = progress.getByLabel(/copy the address from its address bar/);
    await field.fill("http://localhost/?code=abc&state=abc");
    const working = { ...adele, health: { ...adele.health, name: "carol", address: "carol@contoso.example", signedInAs: "carol@contoso.example" } };
    await control(page, "respond", "account_views", [working]);
    await control(page, "respond", "sign_in", working.health);
    await progress.getByRole("button", { name: "Continue" }).click();
    await waitState(page, "carol", "working");
    assert.match((await c.getByTestId("account-outcome").textContent()) ?? "", /Signed in as carol@contoso\.example/);
    const submitted = await page.evaluate(() =>
      window.__MAILGRANT_CALLS__.filter((x) => x.cmd === "submit_sign_in_address").map((x) => x.args),
    );
    assert.deepEqual(submitted, [{ address: "http://localhost/?code=abc&state=abc" }]);
    assert.deepEqual(consoleErrors, []);
    await context.close();
  });

  it("signs in with a device code and can be cancelled", async () => {
    const { page, context } = await openControlled(harness, fixture([erin]), { width: 800, height: 600 }, {
      ...controlConfig,
      hold: ["sign_in"],
    });
    await waitState(page, "erin", "not-signed-in");
    await button(page, "erin", "Sign in again").click();
    const progress = card(page, "erin").getByTestId("sign-in-progress");
    await progress.waitFor();
    await control(page, "emit", "sign_in", "onEvent", {
      kind: "deviceCode",
      userCode: "HKDS-7QPZ",
      verificationUri: "https://microsoft.com/devicelogin",
      expiresInSecs: 900,
    });
    await progress.getByTestId("device-code").waitFor();
    assert.equal(await progress.getByTestId("device-code").textContent(), "HKDS-7QPZ");
    assert.ok(await progress.getByRole("link", { name: "https://microsoft.com/devicelogin" }).isVisible());
    assert.match((await progress.textContent()) ?? "", /It works for another 1[45]:\d\d/);
    assert.deepEqual(await harness.axeViolations(page), []);
    await progress.scrollIntoViewIfNeeded();
    await harness.screenshot(page, "ui-dashboard-device-code-800x600.png");

    await progress.getByRole("button", { name: "Cancel sign-in" }).click();
    await progress.waitFor({ state: "detached" });
    assert.match((await card(page, "erin").getByTestId("account-outcome").textContent()) ?? "", /Sign-in cancelled/);
    assert.ok((await calls(page)).includes("cancel_sign_in"));
    await waitState(page, "erin", "not-signed-in");
    await context.close();
  });

  it("a second sign-in ends the first one's card instead of leaving it waiting, as Rust keeps one at a time", async () => {
    const { page, context, consoleErrors } = await openControlled(harness, fixture([carol, erin]), {}, {
      ...controlConfig,
      hold: ["sign_in"],
    });
    await waitState(page, "carol", "needs-sign-in");
    await button(page, "carol", "Sign in again").click();
    const first = card(page, "carol").getByTestId("sign-in-progress");
    await first.waitFor();
    await control(page, "emit", "sign_in", "onEvent", {
      kind: "browser",
      url: "https://login.microsoftonline.com/contoso.example/oauth2/v2.0/authorize?state=carol",
      opened: true,
      paste: false,
    });
    await first.getByText("Your browser is open on Microsoft's sign-in page").waitFor();

    // Erin's sign-in starts: Rust stops Carol's, and her card says so at once.
    await button(page, "erin", "Sign in again").click();
    await first.waitFor({ state: "detached" });
    assert.match(
      (await card(page, "carol").getByTestId("account-outcome").textContent()) ?? "",
      /Sign-in stopped: another sign-in started, and Mailgrant runs one at a time\. Nothing changed\./,
    );
    assert.ok(await button(page, "carol", "Sign in again").isEnabled());
    const second = card(page, "erin").getByTestId("sign-in-progress");
    await second.getByText("Starting the sign-in…").waitFor();
    assert.equal(await control(page, "heldCount", "sign_in"), 1);

    // Cancel stops Erin's, the one in progress, once.
    await second.getByRole("button", { name: "Cancel sign-in" }).click();
    await second.waitFor({ state: "detached" });
    assert.match((await card(page, "erin").getByTestId("account-outcome").textContent()) ?? "", /Sign-in cancelled/);
    assert.equal((await calls(page)).filter((c) => c === "cancel_sign_in").length, 1);
    assert.deepEqual(consoleErrors, []);
    await context.close();
  });

  it("forgets an account after a confirmation, then says where to revoke the consent", async () => {
    const { page, context, consoleErrors } = await openControlled(harness, fixture([adele, bob]), {}, controlConfig);
    await waitState(page, "adele", "working");
    await button(page, "adele", "Forget").click();
    const dialog = card(page, "adele").getByTestId("forget-dialog");
    await dialog.getByRole("heading", { name: "Forget adele?" }).waitFor();
    assert.match((await dialog.textContent()) ?? "", /does not delete any mail/);
    assert.deepEqual(await harness.axeViolations(page), []);
    await harness.screenshot(page, "ui-dashboard-forget-confirm.png");

    // Esc keeps it.
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "hidden" });
    assert.ok(!(await calls(page)).includes("remove_account"));

    await button(page, "adele", "Forget").click();
    await control(page, "respond", "account_views", [bob]);
    await dialog.getByRole("button", { name: "Forget this account" }).click();
    const notice = page.getByTestId("forgotten-notice");
    await notice.waitFor();
    await card(page, "adele").waitFor({ state: "detached" });
    const text = (await notice.textContent()) ?? "";
    assert.match(text, /adele is forgotten on this computer/);
    assert.match(text, /an access token already issued stays valid until it expires/);
    assert.equal(await notice.getByRole("link", { name: /My Apps/ }).getAttribute("href"), "https://myapps.microsoft.com");
    assert.match((await notice.getByRole("link", { name: /Enterprise applications/ }).getAttribute("href")) ?? "", /^https:\/\/entra\.microsoft\.com\//);
    const removed = await page.evaluate(() => window.__MAILGRANT_CALLS__.filter((c) => c.cmd === "remove_account").map((c) => c.args));
    assert.deepEqual(removed, [{ name: "adele" }]);
    assert.deepEqual(await harness.axeViolations(page), []);
    await harness.screenshot(page, "ui-dashboard-forgotten.png");

    await notice.getByRole("button", { name: "Done" }).click();
    await notice.waitFor({ state: "detached" });
    assert.equal(await page.getByTestId("account-card").count(), 1);
    assert.deepEqual(consoleErrors, []);
    await context.close();
  });

  it("forgetting the last account leaves the revocation info, then the welcome screen", async () => {
    const { page, context } = await openControlled(harness, fixture([bob]), {}, controlConfig);
    await waitState(page, "bob", "expiring-soon");
    await control(page, "respond", "remove_account", personalRevocation);
    await control(page, "respond", "account_views", []);
    await button(page, "bob", "Forget").click();
    await card(page, "bob").getByTestId("forget-dialog").getByRole("button", { name: "Forget this account" }).click();
    const notice = page.getByTestId("forgotten-notice");
    await notice.waitFor();
    assert.equal(await notice.getByRole("link").count(), 1, "a personal account has no admin page");
    assert.equal(
      await notice.getByRole("link").getAttribute("href"),
      "https://account.live.com/consent/Manage",
    );
    await notice.getByRole("button", { name: "Done" }).click();
    await page.getByRole("heading", { level: 1, name: "Mailgrant" }).waitFor();
    await context.close();
  });

  it("shows where and how to revoke consent", async () => {
    const { page, context } = await openControlled(harness, fixture([adele, bob]), {}, controlConfig);
    await waitState(page, "adele", "working");
    const revoke = button(page, "adele", "Revoke consent");
    assert.equal(await revoke.getAttribute("aria-expanded"), "false");
    await revoke.click();
    assert.equal(await revoke.getAttribute("aria-expanded"), "true");
    const panel = card(page, "adele").getByRole("region", { name: "Revoke consent for adele" });
    await panel.waitFor();
    assert.match((await panel.textContent()) ?? "", /stops the app from getting new tokens/);
    assert.equal(await panel.getByRole("link").count(), 2);
    await button(page, "bob", "Revoke consent").click();
    const personal = card(page, "bob").getByRole("region", { name: "Revoke consent for bob" });
    assert.equal(await personal.getByRole("link").count(), 1);
    assert.match((await personal.getByRole("link").textContent()) ?? "", /Microsoft account/);
    assert.deepEqual(await harness.axeViolations(page), []);
    await harness.screenshot(page, "ui-dashboard-revoke.png");
    await revoke.click();
    assert.ok(await panel.isHidden());
    await context.close();
  });

  for (const colorScheme of /** @type {const} */ (["light", "dark"])) {
    it(`replaces an app's client secret from its card: where to make it, the Value checked, Microsoft's yes and no (${colorScheme})`, async () => {
      const { page, context, consoleErrors } = await openControlled(harness, fixture([dave, adele]), { colorScheme }, {
        ...controlConfig,
        hold: ["replace_client_secret"],
      });
      page.setDefaultTimeout(8000);
      await waitState(page, "reports", "failing");
      assert.equal(await card(page, "adele").getByTestId("replace-secret").count(), 0, "no client secret, nothing to replace");
      const open = button(page, "reports", "Replace client secret…");
      assert.match((await open.getAttribute("class")) ?? "", /primary/, "the expired secret makes it the thing to do");
      await open.click();

      // Where to make the new secret, and what to copy.
      const dialog = page.getByRole("dialog", { name: "Replace the client secret of Reports daemon" });
      await dialog.waitFor();
      const link = dialog.getByRole("link", { name: "Open Certificates & secrets in Entra" });
      assert.equal(
        await link.getAttribute("href"),
        `https://entra.microsoft.com/#view/Microsoft_AAD_RegisteredApps/ApplicationMenuBlade/~/Credentials/appId/${dave.clientId}`,
      );
      assert.equal(await link.getAttribute("target"), "_blank");
      assert.match((await dialog.textContent()) ?? "", /Copy the new secret's Value right away — not its Secret ID/);
      const value = dialog.getByLabel("New client secret Value");
      assert.equal(await value.getAttribute("type"), "password");
      const submit = dialog.getByTestId("replace-secret-submit");
      assert.ok(await submit.isDisabled());
      assert.match((await dialog.locator("#replace-secret-why").textContent()) ?? "", /Paste the new secret's Value/);

      // The Secret ID instead of the Value is found as it is typed, and Replace stays off.
      await value.fill(SECRET_ID);
      await dialog.getByText("This looks like the Secret ID, not the secret's Value.", { exact: false }).waitFor();
      assert.ok(await submit.isDisabled());
      await value.fill(SECRET_VALUE);
      await dialog.locator("#replace-secret-msg").getByText("Looks right.").waitFor();
      await dialog.getByLabel("Secret expires").fill("2027-05-01");
      assert.ok(await submit.isEnabled());
      assert.deepEqual(await harness.axeViolations(page), [], "axe on the dialog");
      await harness.screenshot(page, `ui-replace-secret-${colorScheme}.png`, { fullPage: false });

      // Replace: Microsoft checks it; the Value leaves the field at once.
      await submit.click();
      await dialog.getByText("Checking the new secret with Microsoft…").waitFor();
      assert.equal(await value.inputValue(), "", "the Value is not kept once sent");
      const sent = await page.evaluate(() =>
        window.__MAILGRANT_CALLS__.filter((c) => c.cmd === "replace_client_secret").map((c) => c.args),
      );
      assert.deepEqual(sent, [{ registration: dave.clientId, value: SECRET_VALUE, expires: "2027-05-01" }]);

      // Microsoft accepts it: the dialog says so and the dashboard reloads.
      const renewed = {
        ...dave,
        health: { ...dave.health, state: "working", reason: "tokens are fresh", credentialExpiresAt: NOW + 500 * DAY, credentialDue: false },
        lastFailure: null,
      };
      await control(page, "respond", "account_views", [renewed, adele]);
      await control(page, "settle", "replace_client_secret", {
        value: { registration: "reports", registrationName: "Reports daemon", verified: true, replaced: ["Qx7"] },
      });
      const done = dialog.getByTestId("replace-secret-done");
      await done.waitFor();
      const doneText = ((await done.textContent()) ?? "").replace(/\s+/g, " ");
      assert.match(doneText, /Replaced: Reports daemon signs in with the new secret \(Microsoft accepted it\)\./);
      assert.match(doneText, /no longer uses the old secret \(starting Qx7…\)/);
      await waitState(page, "reports", "working");
      assert.deepEqual(await harness.axeViolations(page), [], "axe after the replacement");
      await harness.screenshot(page, `ui-replace-secret-replaced-${colorScheme}.png`, { fullPage: false });
      await dialog.getByRole("button", { name: "Done" }).click();
      await dialog.waitFor({ state: "hidden" });
      assert.equal(await page.evaluate(() => document.activeElement?.textContent?.trim()), "Replace client secret…");

      // A Value Microsoft refuses: the message, what to do next, and Microsoft's answer explained.
      await open.click();
      await dialog.waitFor();
      assert.equal(await value.inputValue(), "", "nothing typed before is kept");
      await value.fill(`${SECRET_VALUE.slice(0, -4)}wxyz`);
      await dialog.locator("#replace-secret-msg").getByText("Looks right.").waitFor();
      await submit.click();
      await dialog.getByText("Checking the new secret with Microsoft…").waitFor();
      await control(page, "settle", "replace_client_secret", { error: secretRefused });
      const error = dialog.getByTestId("replace-secret-error");
      await error.waitFor();
      assert.equal(await error.getAttribute("data-code"), "bad-secret");
      assert.match(
        ((await error.textContent()) ?? "").replace(/\s+/g, " "),
        /Microsoft did not accept the new secret: The client secret is wrong \(AADSTS7000215\)\. Paste the client secret's Value from Entra \(Certificates & secrets\), not its Secret ID\./,
      );
      const panel = dialog.getByTestId("diagnosis");
      assert.equal(await panel.getAttribute("data-code"), "AADSTS7000215");
      const panelText = (await panel.textContent()) ?? "";
      assert.match(panelText, /Who can fix this:\s*Whoever manages the app registration/);
      assert.match(panelText, /replace the app's client secret with it \(Replace client secret\)/);
      assert.doesNotMatch(panelText, /`|mailgrant /);
      assert.ok(
        await page.evaluate(() => document.activeElement?.closest("[data-testid=diagnosis]") !== null),
        "the explanation takes focus",
      );
      assert.equal(await value.inputValue(), "");
      assert.ok(await submit.isDisabled(), "a new Value first");
      assert.deepEqual(await harness.axeViolations(page), [], "axe on the refusal");
      await harness.screenshot(page, `ui-replace-secret-refused-${colorScheme}.png`, { fullPage: false });

      await dialog.getByRole("button", { name: "Cancel" }).click();
      await dialog.waitFor({ state: "hidden" });
      assert.equal((await calls(page)).filter((c) => c === "replace_client_secret").length, 2);
      assert.deepEqual(consoleErrors, []);
      await context.close();
    });
  }

  it("updates live when the background refresh changes an account", async () => {
    const { page, context } = await openControlled(harness, fixture([adele]), {}, controlConfig);
    await waitState(page, "adele", "working");
    await control(page, "respond", "account_views", [
      { ...adele, health: { ...adele.health, state: "expiring-soon", reason: "the app's client secret expires in 6 days" } },
      erin,
    ]);
    await control(page, "event", "accounts-changed");
    await waitState(page, "adele", "expiring-soon");
    await waitState(page, "erin", "not-signed-in");
    assert.match((await card(page, "adele").getByTestId("account-reason").textContent()) ?? "", /client secret expires in 6 days/);
    await context.close();
  });

  it("leads to the wizard and to the secret-expiry board", async () => {
    const { page, context } = await openControlled(harness, fixture([adele]), {}, controlConfig);
    await page.getByRole("heading", { level: 1, name: "Your mailboxes" }).waitFor();
    await page.getByRole("button", { name: "Check client-secret expiry" }).click();
    await page.getByRole("heading", { level: 1, name: "Client-secret expiry" }).waitFor();
    await page.getByRole("button", { name: "Mailgrant start page" }).click();
    await page.getByRole("heading", { level: 1, name: "Your mailboxes" }).waitFor();
    await page.getByRole("button", { name: "Connect a mailbox" }).click();
    await page.getByRole("heading", { level: 1, name: "Connect a mailbox" }).waitFor();
    await context.close();
  });

  it("is usable from the keyboard", async () => {
    const { page, context } = await openControlled(harness, fixture([adele]), {}, controlConfig);
    await page.getByRole("heading", { level: 1, name: "Your mailboxes" }).waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.tagName), "H1", "focus starts on the heading");
    // Tab to the card's Revoke consent button and open it with Enter.
    for (let i = 0; i < 30; i++) {
      await page.keyboard.press("Tab");
      if ((await page.evaluate(() => document.activeElement?.textContent?.trim())) === "Revoke consent") break;
    }
    const focusOutline = await page.evaluate(() => getComputedStyle(/** @type {Element} */ (document.activeElement)).outlineStyle);
    assert.equal(focusOutline, "solid", "focus is visible");
    await page.keyboard.press("Enter");
    await card(page, "adele").getByRole("region", { name: "Revoke consent for adele" }).waitFor();
    await context.close();
  });

  it("reads well in dark mode and at 800×600", async () => {
    for (const [options, shot] of /** @type {const} */ ([
      [{ colorScheme: "dark" }, "ui-dashboard-dark.png"],
      [{ width: 800, height: 600 }, "ui-dashboard-800x600.png"],
      [{ width: 800, height: 600, colorScheme: "dark" }, "ui-dashboard-dark-800x600.png"],
    ])) {
      const { page, context } = await openControlled(harness, fixture(), options, controlConfig);
      await card(page, "carol").getByTestId("diagnosis").waitFor();
      await card(page, "reports").getByTestId("diagnosis").waitFor();
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
      assert.equal(overflow, false, `${shot}: no horizontal scrolling`);
      assert.deepEqual(await harness.axeViolations(page), [], shot);
      await harness.screenshot(page, shot);
      await context.close();
    }
  });

  it("says so when the accounts cannot be read, and shows the welcome screen", async () => {
    const { page, context } = await harness.open({
      responses: { app_info: defaultAppInfo },
      errors: { account_views: { code: "config", message: "the config file is damaged" } },
    });
    await page.getByRole("heading", { level: 1, name: "Mailgrant" }).waitFor();
    await context.close();
  });
});
