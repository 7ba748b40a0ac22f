// The "Connect a mailbox" wizard, every step and every error state, in Debian's Chromium with the IPC mocked
// (channel messages included: sign-in events and probe layers arrive as the real runtime delivers them).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { accountView } from "./account-fixtures.mjs";
import { startHarness } from "./harness.mjs";
import {
  ADDRESS,
  health,
  adminApprovalRequired,
  appOnlyGuide,
  browserEvent,
  CLIENT_ID,
  consentRequired,
  deviceEvent,
  guide,
  IMAP_SERVER,
  imapLayersNotConnected,
  imapLayersOk,
  progressOf,
  redirectMismatch,
  report,
  reportsOk,
  SECRET_ID,
  SECRET_VALUE,
  SIGN_IN_URL,
  SMTP_SERVER,
  smtpAuthDisabled,
  smtpLayersAuthDisabled,
  TENANT_ID,
  webGuide,
  wizardFixture,
  wrongSecret,
  imapNotConnected,
  APP_ONLY_POWERSHELL,
  appOnlyGuideComplete,
  OBJECT_ID,
} from "./wizard-fixtures.mjs";

/** @typedef {import("playwright-core").Page} Page */

/** @type {Awaited<ReturnType<typeof startHarness>>} */
let harness;
before(async () => {
  harness = await startHarness();
});
after(async () => {
  await harness?.close();
});

const STORAGE_KEY = "mailgrant.connect-wizard";

/**
 * Opens the app and the wizard.
 * @param {import("./mocks").Fixture} fixture
 * @param {{ colorScheme?: "light" | "dark", width?: number, height?: number }} [options]
 */
async function openWizard(fixture, options) {
  const opened = await harness.open(fixture, options);
  opened.page.setDefaultTimeout(8000);
  await opened.page.getByRole("button", { name: "Connect a mailbox" }).click();
  await atStep(opened.page, 1);
  return opened;
}

/** @param {Page} page @param {number} step */
async function atStep(page, step) {
  await page.locator(`[data-testid="wizard-step"][data-step="${step}"]`).waitFor();
}

/** @param {Page} page @param {number} to */
async function next(page, to) {
  await page.getByTestId("wizard-next").click();
  await atStep(page, to);
}

/** @param {Page} page @param {number} to */
async function back(page, to) {
  await page.getByTestId("wizard-back").click();
  await atStep(page, to);
}

/** @param {Page} page @param {string} label */
const field = (page, label) => page.getByLabel(label, { exact: true });

/**
 * Step 1: the address and what the mailbox does.
 * @param {Page} page
 * @param {{ address?: string, services?: string[], appOnly?: boolean }} [answers]
 */
async function answerStep1(page, answers = {}) {
  await field(page, "Email address").fill(answers.address ?? ADDRESS);
  if (answers.appOnly) {
    await page.getByText("Advanced / for IT").click();
    await field(page, "An unattended background service (no one signs in)").check();
  } else if (!answers.services) {
    // A mail program: IMAP and SMTP, preselected.
    await field(page, "A mail program").check();
  }
  for (const label of answers.services ?? []) await field(page, label).check();
}

/**
 * Steps 1 to 4 answered the usual way (a mail program in my organisation; a Web app with its secret when `secret`),
 * then Next: the account is saved and step 5 shows.
 * @param {Page} page
 * @param {{ secret?: boolean }} [options]
 */
async function toSignIn(page, { secret = false } = {}) {
  await answerStep1(page);
  await next(page, 2);
  if (secret) await field(page, "My organisation requires a client secret (Web app)").check();
  await next(page, 3);
  await next(page, 4);
  await field(page, "Application (client) ID").fill(CLIENT_ID);
  if (secret) await field(page, "Client secret Value").fill(SECRET_VALUE);
  await next(page, 5);
}

/** The calls the UI made to Rust, with their arguments. @param {Page} page @param {string} cmd */
async function calls(page, cmd) {
  return page.evaluate((c) => window.__MAILGRANT_CALLS__.filter((x) => x.cmd === c).map((x) => x.args), cmd);
}

/**
 * Saving adds the account to the list Rust answers, as the real save does: from now on the list has it.
 * @param {Page} page
 */
async function listHasTheAccount(page) {
  await page.evaluate((view) => {
    /** @type {any} */ (window).__MAILGRANT_FIXTURE__.responses.account_views = [view];
  }, accountView("work", { health: { address: ADDRESS } }));
}

/**
 * From now on reading the account list takes 300 ms, and whether the welcome screen shows meanwhile is noted.
 * @param {Page} page
 */
async function watchForWelcome(page) {
  await page.evaluate(() => {
    const w = /** @type {any} */ (window);
    w.__MAILGRANT_FIXTURE__.delays = { ...w.__MAILGRANT_FIXTURE__.delays, account_views: 300 };
    w.__SAW_WELCOME__ = false;
    new MutationObserver(() => {
      if (document.querySelector("section.welcome")) w.__SAW_WELCOME__ = true;
    }).observe(document.body, { childList: true, subtree: true });
  });
}

/** Home is the dashboard, and the welcome screen never showed on the way. @param {Page} page */
async function reachedTheDashboardDirectly(page) {
  await page.getByRole("heading", { level: 1, name: "Your mailboxes" }).waitFor();
  assert.equal(
    await page.evaluate(() => /** @type {any} */ (window).__SAW_WELCOME__),
    false,
    "the welcome screen showed between the wizard and the dashboard",
  );
}

/** An element's text with its white space collapsed. @param {import("playwright-core").Locator} locator */
const textOf = async (locator) => ((await locator.textContent()) ?? "").replace(/\s+/g, " ");

/** @param {Page} page */
async function noHorizontalScroll(page) {
  return page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
}

/** axe (no serious or critical violations), no horizontal scrolling, and a screenshot. @param {Page} page @param {string} name */
async function inspect(page, name) {
  assert.deepEqual(await harness.axeViolations(page), [], `axe on ${name}`);
  assert.ok(await noHorizontalScroll(page), `no horizontal scrolling on ${name}`);
  await harness.screenshot(page, `${name}.png`);
}

/** axe, and a screenshot of the window as the user sees it (a dialog over the page). @param {Page} page @param {string} name */
async function inspectDialog(page, name) {
  assert.deepEqual(await harness.axeViolations(page), [], `axe on ${name}`);
  await harness.screenshot(page, `${name}.png`, { fullPage: false });
}

/** @param {Page} page */
async function saved(page) {
  return page.evaluate((key) => localStorage.getItem(key), STORAGE_KEY);
}

/** Presses Tab until the focused element matches `selector` (at most `max` times); false if it never does. */
async function tabTo(/** @type {Page} */ page, /** @type {string} */ selector, max = 40) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press("Tab");
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return true;
  }
  return false;
}

describe("connect wizard: the way through", () => {
  it("walks all six steps to a connected, tested mailbox (browser sign-in)", async () => {
    const fixture = wizardFixture({
      rules: [
        { cmd: "sign_in", events: [browserEvent], delayMs: 900 },
        { cmd: "test_account", events: progressOf(reportsOk), eventGapMs: 120 },
      ],
    });
    const { page, context, consoleErrors } = await openWizard(fixture);

    // Step 1
    assert.equal(await page.getByTestId("step-indicator").textContent(), "Step 1 of 6 — What the mailbox should do");
    assert.equal(await page.locator('[aria-current="step"]').count(), 1);
    assert.ok(await page.getByTestId("wizard-next").isDisabled(), "nothing answered yet");
    assert.match((await page.locator("#wz-next-why").textContent()) ?? "", /Enter the mailbox's email address/);
    await answerStep1(page);
    assert.ok(await page.getByTestId("ask-admin").isVisible());
    await inspect(page, "wizard-1-what");
    await next(page, 2);

    // Step 2: the address's organisation is found and suggested; nothing else was asked of Rust yet.
    assert.equal(await page.getByTestId("step-indicator").textContent(), "Step 2 of 6 — Whose accounts");
    await page.getByText("Your organisation's directory was found").waitFor();
    const [lookup] = /** @type {any[]} */ (await calls(page, "discover_tenant"));
    assert.equal(lookup.draft.tenant, "contoso.com");
    assert.equal(lookup.draft.audience, "my-organisation");
    assert.ok(await field(page, "Only people in my organisation").isChecked());
    assert.ok(await page.getByText("Suggested").isVisible());
    assert.equal(await field(page, "Microsoft cloud").inputValue(), "global");
    assert.ok(await field(page, "In the browser on this computer").isChecked());
    assert.equal(await field(page, "Advanced: how the browser returns").inputValue(), "loopback");
    assert.ok(await page.getByTestId("ask-admin").isVisible());
    await page.waitForFunction(() => document.activeElement?.textContent === "Whose accounts");
    await inspect(page, "wizard-2-whose");
    await next(page, 3);

    // Step 3: the guide, with values to copy.
    const step = page.getByTestId("wizard-step");
    await page.getByTestId("setup-guide").waitFor();
    assert.equal(await page.getByTestId("redirect-uri").textContent(), "http://localhost");
    assert.equal(await page.getByTestId("platform").textContent(), "Public client/native (mobile & desktop)");
    assert.match(await textOf(step), /Select a platform › Public client\/native \(mobile & desktop\)/);
    // User.Read is already there; the other three are added with the portal's clicks.
    assert.equal(await page.getByTestId("permission").count(), 3);
    assert.match(await textOf(page.getByTestId("user-read-present")), /User\.Read is already there/);
    assert.match(
      await textOf(page.getByTestId("permission-clicks")),
      /Add a permission › Microsoft Graph › Delegated permissions › search its first word \(e\.g\. “IMAP”\) › tick it › Add permissions/,
    );
    assert.match(await textOf(page.getByTestId("before-you-start")), /Exchange Online licence.*IMAP, Authenticated SMTP are turned on.*Security defaults/);
    assert.equal(await page.getByText("Admin consent required").count(), 0);
    const open = page.getByRole("link", { name: "Open New registration in Entra" });
    assert.equal(await open.getAttribute("href"), guide().newRegistrationUrl);
    assert.equal(await open.getAttribute("target"), "_blank");
    assert.equal(await open.getAttribute("rel"), "noopener");
    assert.ok(await page.getByRole("button", { name: "Copy: the redirect URI" }).isVisible());
    assert.ok(await page.getByRole("button", { name: "Copy: the permission IMAP.AccessAsUser.All" }).isVisible());
    assert.ok(await page.getByTestId("ask-admin").isVisible());
    await inspect(page, "wizard-3-register");
    await next(page, 4);

    // Step 4: the tenant came from the directory lookup; the client ID is checked as it is typed.
    assert.equal(await field(page, "Directory (tenant) ID").inputValue(), TENANT_ID);
    assert.equal(await page.getByLabel("Client secret Value").count(), 0, "no secret for a public app");
    await field(page, "Application (client) ID").fill(CLIENT_ID);
    await page.locator("#wz-client-id-msg").getByText("Looks right.").waitFor();
    const checked = /** @type {any[]} */ (await calls(page, "check_field"));
    assert.deepEqual(checked.at(-1), { field: "clientId", value: CLIENT_ID });
    assert.ok(await page.getByTestId("ask-admin").isVisible());
    await inspect(page, "wizard-4-paste");
    // The app reads the account list again once the save changed it.
    await listHasTheAccount(page);
    const listReadsBeforeSave = (await calls(page, "account_views")).length;
    await next(page, 5);
    const [save] = /** @type {any[]} */ (await calls(page, "save_account"));
    assert.equal(save.secret, null);
    assert.equal(save.secretExpires, null);
    assert.equal(save.replace, false);
    assert.deepEqual(save.draft, {
      name: ADDRESS,
      address: ADDRESS,
      services: ["imap", "smtp"],
      appOnly: false,
      withSecret: false,
      audience: "my-organisation",
      cloud: { kind: "global" },
      flow: "auth-code",
      redirect: "loopback",
      tenant: TENANT_ID,
      clientId: CLIENT_ID,
      sharedMailbox: null,
      enterpriseObjectId: "",
    });

    // Step 5: waiting in the browser, live, with the address to copy or open again.
    assert.ok(await page.getByTestId("wizard-next").isDisabled(), "sign in first");
    await page.getByTestId("sign-in").click();
    await page.getByText("Waiting for you in the browser…").waitFor();
    // The long address is a link and a copy button, not text in a box.
    const again = page.getByRole("link", { name: "Open the sign-in page again" });
    assert.equal(await again.getAttribute("href"), SIGN_IN_URL);
    assert.equal(await page.getByText(SIGN_IN_URL).count(), 0);
    assert.ok(await page.getByRole("button", { name: "Copy address: the sign-in page's address" }).isVisible());
    assert.ok(await page.getByRole("button", { name: "Cancel" }).isVisible());
    assert.ok(await page.getByTestId("ask-admin").isVisible());
    await inspect(page, "wizard-5-browser");
    const [signIn] = /** @type {any[]} */ (await calls(page, "sign_in"));
    assert.equal(signIn.name, ADDRESS);
    assert.match(signIn.onEvent, /^__CHANNEL__:\d+$/, "the events come over a channel");

    // Step 6: the probe runs by itself; its layers appear as they complete.
    await atStep(page, 6);
    await page.getByText("Testing the mailbox…").waitFor();
    await page.locator('[data-testid="probe-layer"]').first().waitFor();
    const liveCount = await page.locator('[data-testid="probe-layer"]').count();
    await page.getByTestId("connected").waitFor();
    assert.ok(liveCount < 12, `layers appeared one by one (saw ${liveCount} while running)`);
    assert.equal(await page.getByTestId("connected").textContent(), "Your mailbox is connected");
    assert.equal(
      await page.getByTestId("what-works").textContent(),
      "Mail programs can now read mail over IMAP and send over SMTP with Mailgrant's tokens.",
    );
    assert.equal(await page.locator('[data-testid="probe-layer"]').count(), 12);
    assert.equal(await page.locator('[data-testid="probe-layer"][data-status="passed"]').count(), 11);
    const skipped = page.locator('[data-testid="probe-layer"][data-status="skipped"]');
    assert.equal(await skipped.count(), 1);
    assert.match((await skipped.textContent()) ?? "", /skipped/, "the status is a word, not a colour");
    const [{ onLayer, ...test }] = /** @type {any[]} */ (await calls(page, "test_account"));
    assert.deepEqual(test, { name: ADDRESS, protocols: [], sendToSelf: false });
    assert.match(onLayer, /^__CHANNEL__:\d+$/);
    assert.equal(await saved(page), null, "connected: nothing left to resume");
    await inspect(page, "wizard-6-connected");

    assert.ok(
      (await calls(page, "account_views")).length > listReadsBeforeSave,
      "the account list is read again once the save changed it",
    );

    // Home after Done is the dashboard with the new mailbox from its first frame: never the welcome screen for a
    // moment, however long reading the list again takes.
    await watchForWelcome(page);
    await page.getByTestId("wizard-done").click();
    await reachedTheDashboardDirectly(page);
    assert.deepEqual(consoleErrors, []);
    await context.close();
  });

  for (const colorScheme of /** @type {const} */ (["light", "dark"])) {
    it(`reads well at 800×600 in ${colorScheme} mode, failures included`, async () => {
      const fixture = wizardFixture({
        rules: [{ cmd: "sign_in", events: [browserEvent], error: { code: "sign-in", message: "refused", diagnosis: redirectMismatch }, times: 1 }],
      });
      const { page, context } = await openWizard(fixture, { colorScheme, width: 800, height: 600 });
      if (colorScheme === "dark") {
        const bg = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
        assert.equal(bg, "rgb(11, 18, 32)", "follows the OS dark setting");
      }
      const name = (/** @type {string} */ s) => `wizard-${s}-${colorScheme}-800x600`;
      await inspect(page, name("1"));
      await answerStep1(page);
      await next(page, 2);
      await page.getByText("Your organisation's directory was found").waitFor();
      await inspect(page, name("2"));
      await field(page, "Microsoft cloud").selectOption("custom");
      await inspect(page, name("2-custom"));
      await field(page, "Microsoft cloud").selectOption("global");
      await next(page, 3);
      await page.getByTestId("setup-guide").waitFor();
      await inspect(page, name("3"));
      await next(page, 4);
      await field(page, "Application (client) ID").fill("not-a-client-id");
      await page.getByText("Problem:").first().waitFor();
      await inspect(page, name("4-problem"));
      await field(page, "Application (client) ID").fill(CLIENT_ID);
      await next(page, 5);
      await page.getByTestId("sign-in").click();
      await page.getByTestId("diagnosis").waitFor();
      await inspect(page, name("5-diagnosis"));
      await page.getByTestId("sign-in").click();
      await atStep(page, 6);
      await page.getByTestId("connected").waitFor();
      await inspect(page, name("6"));
      await page.getByTestId("ask-admin").click();
      await page.getByRole("dialog", { name: "Ask your IT admin" }).waitFor();
      await page.getByTestId("admin-message").waitFor();
      await inspect(page, name("admin"));
      await context.close();
    });
  }

  it("is operable from the keyboard alone, with visible focus", async () => {
    const { page, context } = await openWizard(wizardFixture());
    assert.ok(await tabTo(page, "#wz-address"), "Tab reaches the address");
    await page.keyboard.type(ADDRESS);
    assert.ok(await tabTo(page, "#wz-service-imap"));
    await page.keyboard.press("Space");
    assert.ok(await tabTo(page, "#wz-service-smtp"));
    await page.keyboard.press("Space");
    assert.ok(await tabTo(page, '[data-testid="wizard-next"]'));
    const outline = await page.evaluate(() => getComputedStyle(/** @type {Element} */ (document.activeElement)).outlineStyle);
    assert.equal(outline, "solid", "the focused button shows a focus ring");
    await page.keyboard.press("Enter");
    await atStep(page, 2);
    assert.equal(await page.evaluate(() => document.activeElement?.tagName), "H2");
    // Radio groups move with the arrow keys.
    assert.ok(await tabTo(page, "#wz-audience-my-organisation"));
    await page.keyboard.press("ArrowDown");
    assert.ok(await field(page, "People in any organisation").isChecked());
    assert.ok(await tabTo(page, '[data-testid="wizard-next"]'));
    await page.keyboard.press("Enter");
    await atStep(page, 3);
    await context.close();
  });
});

describe("connect wizard: answers are kept", () => {
  it("Back and Next keep every answer, and done steps can be revisited", async () => {
    const { page, context } = await openWizard(wizardFixture());
    await answerStep1(page, { services: ["Read mail over IMAP", "Read mail over POP"] });
    await next(page, 2);
    await field(page, "People in any organisation").check();
    await field(page, "Microsoft cloud").selectOption("us-gov");
    await field(page, "With a code on another device").check();
    assert.equal(await page.getByLabel("My organisation requires a client secret (Web app)").count(), 0, "no secret with a device code");
    assert.equal(await page.getByLabel("Advanced: how the browser returns").count(), 0);
    await next(page, 3);
    await back(page, 2);
    assert.ok(await field(page, "People in any organisation").isChecked());
    assert.equal(await field(page, "Microsoft cloud").inputValue(), "us-gov");
    assert.ok(await field(page, "With a code on another device").isChecked());
    await back(page, 1);
    assert.equal(await field(page, "Email address").inputValue(), ADDRESS);
    assert.ok(await field(page, "Read mail over IMAP").isChecked());
    assert.ok(await field(page, "Read mail over POP").isChecked());
    assert.ok(!(await field(page, "Send mail (SMTP)").isChecked()));

    // Back on step 1 leaves the wizard; the progress list jumps back to a done step.
    await next(page, 2);
    await next(page, 3);
    assert.match((await page.locator('li[aria-current="step"]').textContent()) ?? "", /Current: step 3: Register/);
    await page.getByRole("button", { name: "Done, back to step 1: What it does" }).click();
    await atStep(page, 1);
    assert.equal(await field(page, "Email address").inputValue(), ADDRESS);
    await page.getByTestId("wizard-back").click();
    await page.getByRole("heading", { level: 1, name: "Mailgrant" }).waitFor();
    await context.close();
  });

  it("resumes at the same step after a reload, never keeping the secret", async () => {
    const fixture = wizardFixture({ guide: webGuide });
    const { page, context } = await openWizard(fixture);
    await answerStep1(page);
    await next(page, 2);
    await field(page, "My organisation requires a client secret (Web app)").check();
    assert.equal(await page.getByLabel("Advanced: how the browser returns").count(), 0, "a Web app returns to loopback");
    await next(page, 3);
    await page.getByText("Copy the Value now — it is shown once.").waitFor();
    assert.match(await textOf(page.getByTestId("secret-step")), /Description: Mailgrant\. Expires: keep the recommended 180 days \(6 months\)/);
    await next(page, 4);
    await field(page, "Application (client) ID").fill(CLIENT_ID);
    await field(page, "Client secret Value").fill(SECRET_VALUE);
    await field(page, "Secret expires").fill("2027-05-01");
    await page.locator("#wz-secret-msg").getByText("Looks right.").waitFor();
    const kept = (await saved(page)) ?? "";
    assert.match(kept, /"step":4/);
    assert.ok(kept.includes(CLIENT_ID) && kept.includes("2027-05-01"), "the answers are kept");
    assert.ok(!kept.includes(SECRET_VALUE), "the secret is not");

    await page.reload();
    await page.getByRole("button", { name: "Connect a mailbox" }).click();
    await atStep(page, 4);
    await page.getByText("Welcome back: you are where you left off.").waitFor();
    assert.equal(await field(page, "Application (client) ID").inputValue(), CLIENT_ID);
    assert.equal(await field(page, "Directory (tenant) ID").inputValue(), TENANT_ID);
    assert.equal(await field(page, "Secret expires").inputValue(), "2027-05-01");
    assert.equal(await field(page, "Client secret Value").inputValue(), "", "the secret has to be pasted again");
    assert.ok(await page.getByTestId("wizard-next").isDisabled());
    assert.match((await page.locator("#wz-next-why").textContent()) ?? "", /Paste the client secret Value/);
    await inspect(page, "wizard-4-resumed");

    await field(page, "Client secret Value").fill(SECRET_VALUE);
    await next(page, 5);
    const [save] = /** @type {any[]} */ (await calls(page, "save_account"));
    assert.equal(save.secret, SECRET_VALUE);
    assert.equal(save.secretExpires, "2027-05-01");
    assert.equal(save.draft.withSecret, true);
    assert.ok(!((await saved(page)) ?? "").includes(SECRET_VALUE));
    await context.close();
  });

  it("a custom cloud takes its addresses as URLs and host:port", async () => {
    const { page, context } = await openWizard(wizardFixture());
    await answerStep1(page, { services: ["Read mail over IMAP", "Read mail over POP", "Send mail (SMTP)"] });
    await next(page, 2);
    await field(page, "Microsoft cloud").selectOption("custom");
    await field(page, "Sign-in address (authority)").fill("https://login.example.net/");
    await field(page, "Microsoft Graph address").fill("https://graph.example.net");
    await field(page, "Graph token audience (optional)").fill("https://graph.microsoft.com");
    await field(page, "IMAP server").fill("imap.example.net");
    await field(page, "SMTP server").fill("smtp.example.net:587");
    await field(page, "POP server").fill("[::1]:995");
    await field(page, "POP server").blur();
    await page.locator("#wz-custom-imap-msg").getByText("Problem:").waitFor();
    // Rust's words, from check_cloud with every field as typed.
    assert.match((await page.locator("#wz-custom-imap-msg").textContent()) ?? "", /Write it as host:port/);
    const checked = /** @type {any[]} */ (await calls(page, "check_cloud"));
    assert.equal(checked.at(-1).fields.imap, "imap.example.net");
    assert.equal(checked.at(-1).fields.pop, "[::1]:995");
    assert.equal(await field(page, "IMAP server").getAttribute("aria-invalid"), "true");
    assert.ok(await page.getByTestId("wizard-next").isDisabled());
    assert.match((await page.locator("#wz-next-why").textContent()) ?? "", /custom cloud/);
    await field(page, "IMAP server").fill("imap.example.net:993");
    await next(page, 3);
    await next(page, 4);
    await field(page, "Application (client) ID").fill(CLIENT_ID);
    await field(page, "Directory (tenant) ID").fill("contoso.example");
    await next(page, 5);
    const [save] = /** @type {any[]} */ (await calls(page, "save_account"));
    assert.deepEqual(save.draft.cloud, {
      kind: "custom",
      authority: "https://login.example.net",
      graph: "https://graph.example.net",
      graph_resource: "https://graph.microsoft.com",
      outlook_resource: "https://outlook.office.com",
      imap: { host: "imap.example.net", port: 993 },
      pop: { host: "::1", port: 995 },
      smtp: { host: "smtp.example.net", port: 587 },
    });
    await context.close();
  });
});

describe("connect wizard: what the user pastes", () => {
  it("a client ID with a problem keeps Next disabled, and says why in words", async () => {
    const { page, context } = await openWizard(wizardFixture());
    await answerStep1(page);
    await next(page, 2);
    await next(page, 3);
    await next(page, 4);
    const id = field(page, "Application (client) ID");
    await id.fill("not-a-client-id");
    const message = page.locator("#wz-client-id-msg");
    await message.getByText("Problem:").waitFor();
    assert.match((await message.textContent()) ?? "", /That is not an Application \(client\) ID/);
    assert.equal(await id.getAttribute("aria-invalid"), "true");
    assert.match((await id.getAttribute("aria-describedby")) ?? "", /wz-client-id-msg/);
    assert.ok(await page.getByTestId("wizard-next").isDisabled());
    assert.match((await page.locator("#wz-next-why").textContent()) ?? "", /Fix the Application \(client\) ID/);
    await id.fill(CLIENT_ID);
    await message.getByText("Looks right.").waitFor();
    assert.equal(await id.getAttribute("aria-invalid"), null);
    assert.ok(await page.getByTestId("wizard-next").isEnabled());
    await context.close();
  });

  it("a pasted Secret ID is flagged, and Rust's refusal to save it is shown", async () => {
    const fixture = wizardFixture({
      guide: webGuide,
      rules: [
        {
          cmd: "save_account",
          args: { secret: SECRET_ID },
          error: {
            code: "bad-secret",
            message:
              "This looks like the Secret ID, not the secret's Value. In Certificates & secrets, copy the Value column.",
            diagnosis: null,
          },
        },
      ],
    });
    const { page, context } = await openWizard(fixture);
    await answerStep1(page);
    await next(page, 2);
    await field(page, "My organisation requires a client secret (Web app)").check();
    await next(page, 3);
    await next(page, 4);
    await field(page, "Application (client) ID").fill(CLIENT_ID);
    const secret = field(page, "Client secret Value");
    assert.equal(await secret.getAttribute("type"), "password");
    await secret.fill(SECRET_ID);
    const message = page.locator("#wz-secret-msg");
    await message.getByText("Check:").waitFor();
    assert.match((await message.textContent()) ?? "", /looks like the Secret ID, not the secret's Value/);
    await page.getByRole("button", { name: "Show" }).click();
    assert.equal(await secret.getAttribute("type"), "text");
    await page.getByRole("button", { name: "Hide" }).click();
    assert.equal(await secret.getAttribute("type"), "password");
    await inspect(page, "wizard-4-secret-id");

    // A warning does not block Next; Rust refuses the Secret ID when saving.
    await page.getByTestId("wizard-next").click();
    const alert = page.getByRole("alert").filter({ hasText: "Secret ID" });
    await alert.waitFor();
    assert.match((await alert.textContent()) ?? "", /Problem:.*could not save the account/s);
    await atStep(page, 4);

    await secret.fill(SECRET_VALUE);
    await next(page, 5);
    const saves = /** @type {any[]} */ (await calls(page, "save_account"));
    assert.deepEqual(
      saves.map((s) => [s.secret, s.replace]),
      [
        [SECRET_ID, false],
        [SECRET_VALUE, true],
      ],
    );
    await context.close();
  });

  it("an unknown tenant says nothing on step 2 and is reported on step 4 (AADSTS90002)", async () => {
    const { page, context } = await openWizard(wizardFixture());
    await answerStep1(page, { address: "adele@nowhere.example" });
    await next(page, 2);
    await page.waitForFunction(() => window.__MAILGRANT_CALLS__.some((c) => c.cmd === "discover_tenant"));
    await page.waitForTimeout(200);
    assert.equal(await page.getByText("directory was found").count(), 0);
    assert.equal(await page.getByTestId("diagnosis").count(), 0, "no error at this step");
    await next(page, 3);
    await next(page, 4);
    await field(page, "Application (client) ID").fill(CLIENT_ID);
    const tenant = field(page, "Directory (tenant) ID");
    assert.equal(await tenant.inputValue(), "", "nothing to suggest");
    await tenant.fill("nowhere.example");
    await tenant.blur();
    const message = page.locator("#wz-tenant-msg");
    await message.getByText("Microsoft can't find this organisation").waitFor();
    assert.match((await message.textContent()) ?? "", /^\s*Problem:/);
    const panel = page.getByTestId("diagnosis");
    assert.equal(await panel.getAttribute("data-code"), "AADSTS90002");
    assert.ok(await page.getByTestId("wizard-next").isDisabled());
    await inspect(page, "wizard-4-unknown-tenant");
    await tenant.fill("contoso.com");
    await tenant.blur();
    await message.getByText(`Microsoft knows this organisation (ID ${TENANT_ID}).`).waitFor();
    assert.equal(await page.getByTestId("diagnosis").count(), 0);
    await next(page, 5);
    await context.close();
  });
});

describe("connect wizard: signing in", () => {
  it("a wrong client secret (AADSTS7000215) explains itself and leads back to step 4", async () => {
    const fixture = wizardFixture({
      guide: webGuide,
      rules: [{ cmd: "sign_in", error: { code: "sign-in", message: "refused", diagnosis: wrongSecret }, times: 1 }],
    });
    const { page, context } = await openWizard(fixture);
    await toSignIn(page, { secret: true });
    await page.getByTestId("sign-in").click();
    const panel = page.getByTestId("diagnosis");
    await panel.waitFor();
    const text = (await panel.textContent()) ?? "";
    assert.match(text, /Problem: The client secret is wrong/);
    assert.match(text, /Who can fix this: Whoever manages the app registration/);
    assert.equal(await panel.locator("ol li").count(), 5);
    assert.equal(await panel.getByRole("link", { name: "Entra admin center › App registrations" }).getAttribute("target"), "_blank");
    assert.ok(!text.includes('{"'), "no raw JSON");
    assert.equal(
      await page.evaluate(() => document.activeElement?.closest('[data-testid="diagnosis"]') !== null),
      true,
      "the explanation takes focus",
    );
    const details = panel.locator("details");
    assert.equal(await details.getAttribute("open"), null, "the raw answer is behind a disclosure");
    await panel.getByText("Details for support").click();
    assert.match((await details.textContent()) ?? "", /Trace ID\s*0b3a7c1e-58f2-4d10-9a1e-6f2d8c4b1a00/);
    assert.ok(await panel.getByRole("button", { name: "Copy details: the details for support" }).isVisible());
    await inspect(page, "wizard-5-wrong-secret");

    await page.getByRole("button", { name: "Correct what you pasted (step 4)" }).click();
    await atStep(page, 4);
    await page.getByText("The client secret you saved before is in your system keychain").waitFor();
    await field(page, "Client secret Value").fill(SECRET_VALUE + "Z");
    await next(page, 5);
    const saves = /** @type {any[]} */ (await calls(page, "save_account"));
    assert.deepEqual(
      saves.map((s) => s.replace),
      [false, true],
      "saving again replaces the account",
    );
    await page.getByTestId("sign-in").click();
    await atStep(page, 6);
    await page.getByTestId("connected").waitFor();
    await context.close();
  });

  it("home from the bar once the account is saved is the dashboard with it, never the welcome screen", async () => {
    const { page, context, consoleErrors } = await openWizard(wizardFixture({}));
    await listHasTheAccount(page);
    await toSignIn(page);
    await page.waitForFunction(() =>
      /** @type {any} */ (window).__MAILGRANT_CALLS__.some((/** @type {any} */ c) => c.cmd === "save_account"),
    );
    // Home must not show the list read before the save while the list is read again.
    await watchForWelcome(page);
    await page.getByRole("button", { name: "Mailgrant start page" }).click();
    await reachedTheDashboardDirectly(page);
    assert.deepEqual(consoleErrors, []);
    await context.close();
  });

  it("a redirect mismatch (AADSTS50011) sends the user to the redirect URI in step 3", async () => {
    const fixture = wizardFixture({
      rules: [
        { cmd: "sign_in", events: [browserEvent], delayMs: 300, error: { code: "sign-in", message: "refused", diagnosis: redirectMismatch }, times: 1 },
      ],
    });
    const { page, context } = await openWizard(fixture);
    await toSignIn(page);
    await page.getByTestId("sign-in").click();
    await page.getByText("Waiting for you in the browser…").waitFor();
    const panel = page.getByTestId("diagnosis");
    await panel.waitFor();
    assert.equal(await panel.getAttribute("data-code"), "AADSTS50011");
    assert.match((await panel.textContent()) ?? "", /The app doesn't list the address the sign-in returns to/);
    await page.getByRole("button", { name: "Review the app registration (step 3)" }).click();
    await atStep(page, 3);
    assert.equal(await page.getByTestId("redirect-uri").textContent(), "http://localhost");
    await next(page, 4);
    await next(page, 5);
    assert.equal((await calls(page, "save_account")).length, 1, "nothing changed, so nothing is saved again");
    await page.getByTestId("sign-in").click();
    await atStep(page, 6);
    await context.close();
  });

  it("consent required (AADSTS65001) signs in again from the diagnosis", async () => {
    const fixture = wizardFixture({
      rules: [{ cmd: "sign_in", error: { code: "sign-in", message: "refused", diagnosis: consentRequired }, times: 1 }],
    });
    const { page, context } = await openWizard(fixture);
    await toSignIn(page);
    await page.getByTestId("sign-in").click();
    await page.getByTestId("diagnosis").getByText("The app hasn't been given permission yet").waitFor();
    assert.match((await page.getByTestId("diagnosis").textContent()) ?? "", /Who can fix this: You/);
    await page.getByRole("button", { name: "Sign in again" }).click();
    await atStep(page, 6);
    assert.equal((await calls(page, "sign_in")).length, 2);
    await page.getByTestId("connected").waitFor();
    await context.close();
  });

  it("a device code shows large, with a copy button, the page to open and a countdown", async () => {
    const fixture = wizardFixture({
      rules: [
        { cmd: "sign_in", events: [deviceEvent], hold: true },
        { cmd: "setup_guide", args: { draft: { flow: "device-code" } }, response: guide({ allowPublicClientFlows: true }) },
      ],
    });
    const { page, context } = await openWizard(fixture);
    await answerStep1(page);
    await next(page, 2);
    await field(page, "With a code on another device").check();
    await next(page, 3);
    await page.getByText("Allow public client flows: Yes").waitFor();
    await next(page, 4);
    await field(page, "Application (client) ID").fill(CLIENT_ID);
    await next(page, 5);
    assert.equal(/** @type {any} */ ((await calls(page, "save_account"))[0]).draft.flow, "device-code");
    await page.getByTestId("sign-in").click();
    const code = page.getByTestId("device-code");
    await code.waitFor();
    assert.equal(await code.textContent(), "HDKQ-7PXM");
    const size = await code.evaluate((el) => parseFloat(getComputedStyle(el).fontSize));
    assert.ok(size >= 32, `the code is large (${size}px)`);
    assert.ok(await page.getByRole("button", { name: "Copy code: the code" }).isVisible());
    const link = page.getByRole("link", { name: "Open the sign-in page" });
    assert.equal(await link.getAttribute("href"), "https://microsoft.com/devicelogin");
    assert.equal(await link.getAttribute("target"), "_blank");
    const expiry = page.getByTestId("device-code-expiry");
    const first = (await expiry.textContent()) ?? "";
    assert.match(first, /^1[45]:\d\d$/);
    await page.waitForFunction((was) => document.querySelector('[data-testid="device-code-expiry"]')?.textContent !== was, first);
    await inspect(page, "wizard-5-device-code");
    await page.evaluate(() => window.__MAILGRANT_MOCK__.settle("sign_in"));
    await atStep(page, 6);
    await page.getByTestId("connected").waitFor();
    await context.close();
  });

  it("paste mode: the address the browser ended on goes back to Rust", async () => {
    const pastedAddress = "https://login.microsoftonline.com/common/oauth2/nativeclient?code=0.AXoA-abc&state=Q1w2E3r4";
    const fixture = wizardFixture({
      rules: [{ cmd: "sign_in", events: [{ ...browserEvent, paste: true }], hold: true }],
    });
    const { page, context } = await openWizard(fixture);
    await answerStep1(page);
    await next(page, 2);
    await page.getByText("Advanced", { exact: true }).click();
    await field(page, "Advanced: how the browser returns").selectOption("paste");
    await next(page, 3);
    await next(page, 4);
    await field(page, "Application (client) ID").fill(CLIENT_ID);
    await next(page, 5);
    assert.equal(/** @type {any} */ ((await calls(page, "save_account"))[0]).draft.redirect, "paste");
    await page.getByTestId("sign-in").click();
    const pasteField = field(page, "Paste the address the browser ended on");
    await pasteField.waitFor();
    await inspect(page, "wizard-5-paste");
    await pasteField.fill(pastedAddress);
    await page.getByRole("button", { name: "Continue with this address" }).click();
    await atStep(page, 6);
    assert.deepEqual(await calls(page, "submit_sign_in_address"), [{ address: pastedAddress }]);
    await context.close();
  });

  it("a sign-in in progress can be cancelled, and the browser's address is there when it did not open", async () => {
    const fixture = wizardFixture({
      rules: [{ cmd: "sign_in", events: [{ ...browserEvent, opened: false }], hold: true }],
    });
    const { page, context } = await openWizard(fixture);
    await toSignIn(page);
    await page.getByTestId("sign-in").click();
    await page.getByText("Mailgrant could not open your browser").waitFor();
    assert.equal(
      await page.getByRole("link", { name: "Open the sign-in page", exact: true }).getAttribute("href"),
      SIGN_IN_URL,
    );
    await page.getByTestId("sign-in-cancel").click();
    await page.getByText("The sign-in was cancelled. You can start it again.").waitFor();
    assert.equal((await calls(page, "cancel_sign_in")).length, 1);
    assert.ok(await page.getByTestId("sign-in").isVisible());
    assert.equal(await page.evaluate(() => window.__MAILGRANT_MOCK__.holding("sign_in")), false);
    await context.close();
  });
});

describe("connect wizard: proving it works", () => {
  it("SMTP AUTH turned off (SMTP 5.7.139): IMAP works, SMTP's fix goes to the IT admin", async () => {
    const reports = [
      report("imap", IMAP_SERVER, imapLayersOk),
      report("smtp", SMTP_SERVER, smtpLayersAuthDisabled, smtpAuthDisabled),
    ];
    const fixture = wizardFixture({
      responses: { test_account: reports },
      rules: [{ cmd: "test_account", events: progressOf(reports), eventGapMs: 20 }],
    });
    const { page, context } = await openWizard(fixture);
    await toSignIn(page);
    await page.getByTestId("sign-in").click();
    await atStep(page, 6);
    await page.getByText("Not working yet: SMTP").waitFor();
    assert.equal(await page.getByTestId("connected").count(), 0);
    await page.getByText("Mail programs can now read mail over IMAP with Mailgrant's tokens.").waitFor();
    const failedLayer = page.locator('[data-testid="probe-layer"][data-status="failed"]');
    assert.equal(await failedLayer.count(), 1);
    assert.match((await failedLayer.textContent()) ?? "", /failed.*Sign in to the mailbox.*131 ms.*5\.7\.139/s);
    const panel = page.getByTestId("diagnosis");
    assert.equal(await panel.getAttribute("data-code"), "SMTP 5.7.139");
    assert.match((await panel.textContent()) ?? "", /Who can fix this: Your IT admin/);
    // Catalogue steps written for the command line too say what to click in the app.
    assert.match((await panel.textContent()) ?? "", /can take up to an hour to apply; then test the account again\./);
    assert.doesNotMatch((await page.getByTestId("wizard-step").textContent()) ?? "", /`|mailgrant test/);
    await inspect(page, "wizard-6-smtp-auth-disabled");

    await page.getByRole("button", { name: "Ask your IT admin" }).first().click();
    const dialog = page.getByRole("dialog", { name: "Ask your IT admin" });
    await dialog.waitFor();
    const message = (await page.getByTestId("admin-message").textContent()) ?? "";
    // It leads with the problem.
    assert.match(message, /^Hello,\n\nMailgrant ran into this: Authenticated SMTP is turned off for this mailbox \(SMTP 5\.7\.139\)/);
    assert.equal(await page.getByTestId("admin-message").getAttribute("data-request"), "approve");
    assert.match(message, /Set-CASMailbox -Identity 'adele@contoso.com' -SmtpClientAuthenticationDisabled \$false/);
    await inspect(page, "wizard-6-admin-dialog");
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "hidden" });
    assert.equal(await page.evaluate(() => document.activeElement?.textContent?.trim()), "Ask your IT admin");
    await context.close();
  });

  it("authenticated but not connected (IMAP_NOT_CONNECTED), then fixed and tested again", async () => {
    const failing = [report("imap", IMAP_SERVER, imapLayersNotConnected, imapNotConnected)];
    const fixed = [report("imap", IMAP_SERVER, imapLayersOk)];
    const fixture = wizardFixture({
      responses: { test_account: fixed },
      rules: [
        { cmd: "test_account", events: progressOf(failing), response: failing, times: 1 },
        { cmd: "test_account", events: progressOf(fixed) },
      ],
    });
    const { page, context } = await openWizard(fixture);
    await answerStep1(page, { services: ["Read mail over IMAP"] });
    await next(page, 2);
    await next(page, 3);
    await next(page, 4);
    await field(page, "Application (client) ID").fill(CLIENT_ID);
    await next(page, 5);
    await page.getByTestId("sign-in").click();
    await atStep(page, 6);
    const panel = page.getByTestId("diagnosis");
    await panel.waitFor();
    assert.equal(await panel.getAttribute("data-code"), "IMAP_NOT_CONNECTED");
    assert.match((await panel.textContent()) ?? "", /Signed in, but the mailbox can't be opened over IMAP/);
    assert.equal(await page.locator('[data-testid="probe-layer"][data-status="warning"]').count(), 1);
    assert.match(
      (await page.locator('[data-testid="probe-layer"][data-layer="mailbox"]').textContent()) ?? "",
      /failed.*Open the mailbox.*authenticated but not connected/s,
    );
    await page.getByRole("button", { name: "Test again" }).click();
    await page.getByTestId("connected").waitFor();
    assert.equal(
      await page.getByTestId("what-works").textContent(),
      "Mail programs can now read mail over IMAP with Mailgrant's tokens.",
    );
    assert.equal((await calls(page, "test_account")).length, 2);
    await context.close();
  });

  it("a test that cannot start shows its diagnosis; waiting can be stopped", async () => {
    const fixture = wizardFixture({
      rules: [
        {
          cmd: "test_account",
          error: { code: "sign-in-required", message: "sign in again", diagnosis: consentRequired },
          times: 1,
        },
        { cmd: "test_account", delayMs: 5000 },
      ],
    });
    const { page, context } = await openWizard(fixture);
    await toSignIn(page);
    await page.getByTestId("sign-in").click();
    await atStep(page, 6);
    await page.getByTestId("diagnosis").getByText("The app hasn't been given permission yet").waitFor();
    await page.getByRole("button", { name: "Test again" }).click();
    await page.getByText("Testing the mailbox…").waitFor();
    await page.getByRole("button", { name: "Stop waiting" }).click();
    await page.getByText("You stopped waiting").waitFor();
    assert.ok(await page.getByRole("button", { name: "Test again" }).isVisible());
    await context.close();
  });
});

describe("connect wizard: a personal Microsoft account", () => {
  const PERSONAL = "ada.lovelace@outlook.com";
  const personalGuide = guide({ accountType: "Personal Microsoft accounts only" });

  it("gets the personal audience selected, the note on a directory of its own, and no IT admin anywhere", async () => {
    const fixture = wizardFixture({
      guide: personalGuide,
      responses: { save_account: { ...health, name: PERSONAL, address: PERSONAL } },
      rules: [
        {
          cmd: "sign_in",
          events: [browserEvent],
          error: { code: "sign-in", message: "Microsoft refused the sign-in", diagnosis: adminApprovalRequired },
          times: 1,
        },
      ],
    });
    const { page, context, consoleErrors } = await openWizard(fixture);
    const noItAdmin = async (/** @type {string} */ where) => {
      const shown = page.getByText("Ask your IT admin", { exact: false }).filter({ visible: true });
      assert.equal(await shown.count(), 0, `no IT admin on ${where}`);
      assert.equal(await page.getByTestId("ask-admin").count(), 0, `no admin button on ${where}`);
    };

    // Step 1: the address is a personal one, so the list of what is needed says so.
    await answerStep1(page, { address: PERSONAL });
    await page.getByTestId("needs-directory").waitFor();
    assert.match(await textOf(page.getByTestId("needs-directory")), /directory of your own/);
    assert.equal(await page.getByTestId("self-help").textContent(), "What you can do yourself");
    await noItAdmin("step 1");
    await inspect(page, "wizard-personal-1");
    await next(page, 2);

    // Step 2: personal accounts only, selected; a one-organisation app would keep the mailbox out.
    await page.getByText("outlook.com addresses are personal Microsoft accounts, so", { exact: false }).waitFor();
    assert.ok(await field(page, "Personal Microsoft accounts only").isChecked());
    assert.ok(!(await field(page, "Only people in my organisation").isChecked()));
    assert.match(await textOf(page.locator("#wz-audience-suggested")), /Suggested/);
    assert.equal((await calls(page, "discover_tenant")).length, 0, "a personal domain is not looked up");
    const note = page.getByTestId("personal-directory-note");
    assert.match(await textOf(note), /a personal Microsoft account does not come with one/);
    assert.match(await textOf(note), /free Azure account/);
    const azure = note.getByRole("link", { name: "Create a free Azure account" });
    assert.equal(await azure.getAttribute("href"), "https://azure.microsoft.com/free/");
    assert.equal(await azure.getAttribute("target"), "_blank");
    await noItAdmin("step 2");
    await inspect(page, "wizard-personal-2");

    // A choice of the user's own stays, there and back.
    await field(page, "Any organisation, and personal Microsoft accounts").check();
    await back(page, 1);
    await next(page, 2);
    assert.ok(await field(page, "Any organisation, and personal Microsoft accounts").isChecked());
    await field(page, "Personal Microsoft accounts only").check();
    await next(page, 3);

    // Steps 3 and 4: the guide is for personal accounts; there is no tenant to paste.
    await page.getByTestId("setup-guide").waitFor();
    const [asked] = /** @type {any[]} */ ((await calls(page, "setup_guide")).slice(-1));
    assert.equal(asked.draft.audience, "personal");
    assert.equal(asked.draft.tenant, "");
    assert.match(await textOf(page.getByTestId("wizard-step")), /has a directory of its own/);
    await noItAdmin("step 3");
    await next(page, 4);
    assert.equal(await page.getByLabel("Directory (tenant) ID").count(), 0);
    await field(page, "Application (client) ID").fill(CLIENT_ID);
    await next(page, 5);
    const [save] = /** @type {any[]} */ (await calls(page, "save_account"));
    assert.equal(save.draft.audience, "personal");

    // Step 5: Microsoft wants an admin's approval — for a personal account, that is its owner.
    await page.getByTestId("sign-in").click();
    const panel = page.getByTestId("diagnosis");
    await panel.waitFor();
    const panelText = await textOf(panel);
    assert.match(panelText, /Who can fix this: You: a personal Microsoft account has no IT admin/);
    assert.match(panelText, /there is no one to ask: you manage the directory you registered the app in/);
    assert.match(panelText, /You open the link .* and click Grant admin consent\./);
    assert.equal(await page.getByTestId("remedy").textContent(), "What you can do yourself");
    await noItAdmin("step 5");
    await inspect(page, "wizard-personal-5-diagnosis");

    await page.getByTestId("remedy").click();
    const dialog = page.getByRole("dialog", { name: "What you can do yourself" });
    await dialog.waitFor();
    assert.match(await textOf(dialog.getByTestId("self-help-problem")), /An admin has to approve this app/);
    assert.equal(
      await dialog.getByRole("link", { name: "Create a free Azure account" }).getAttribute("href"),
      "https://azure.microsoft.com/free/",
    );
    assert.equal(await page.getByRole("dialog", { name: "Ask your IT admin" }).count(), 0);
    await inspectDialog(page, "wizard-personal-self-help");
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "hidden" });
    assert.deepEqual(consoleErrors, []);
    await context.close();
  });

  it("reads well in dark mode", async () => {
    const { page, context } = await openWizard(wizardFixture({ guide: personalGuide }), { colorScheme: "dark" });
    await answerStep1(page, { address: "ada@hotmail.co.uk" });
    await page.getByTestId("needs-directory").waitFor();
    await inspect(page, "wizard-personal-1-dark");
    await next(page, 2);
    await page.getByTestId("personal-directory-note").waitFor();
    assert.ok(await field(page, "Personal Microsoft accounts only").isChecked());
    await inspect(page, "wizard-personal-2-dark");
    await page.getByTestId("self-help").click();
    await page.getByRole("dialog", { name: "What you can do yourself" }).waitFor();
    await inspectDialog(page, "wizard-personal-self-help-dark");
    await context.close();
  });
});

describe("connect wizard: asking the IT admin", () => {
  it("opens from any step as a focus-trapped dialog with the two messages to copy or mail", async () => {
    const fixture = wizardFixture({ guide: appOnlyGuide });
    const { page, context } = await openWizard(fixture);
    await context.grantPermissions(["clipboard-read", "clipboard-write"]);
    await answerStep1(page, { appOnly: true });
    await page.getByTestId("ask-admin").click();
    const dialog = page.getByRole("dialog", { name: "Ask your IT admin" });
    await dialog.waitFor();
    const message = page.getByTestId("admin-message");
    await message.waitFor();
    // Before the IDs are pasted: "please register it for me", leading with the problem.
    assert.ok(await field(page, "Please register the app for me (I may not create app registrations)").isChecked());
    assert.equal(await message.textContent(), appOnlyGuide.registerMessage);
    assert.match((await message.textContent()) ?? "", /^Hello,\n\nThe mailbox adele@contoso\.com can't /);
    assert.equal((await calls(page, "setup_guide")).length, 1, "the messages come from the guide");
    await field(page, "Please approve it and turn on what it needs (consent, licence, IMAP / SMTP AUTH)").check();
    assert.equal(await message.textContent(), appOnlyGuide.adminMessage);

    for (let i = 0; i < 12; i++) {
      await page.keyboard.press("Tab");
      assert.ok(
        await page.evaluate(() => document.activeElement?.closest("dialog") !== null),
        `Tab ${i + 1} stays in the dialog`,
      );
    }
    for (let i = 0; i < 4; i++) {
      await page.keyboard.press("Shift+Tab");
      assert.ok(await page.evaluate(() => document.activeElement?.closest("dialog") !== null), "Shift+Tab too");
    }

    await page.getByRole("button", { name: "Copy message: the message for your IT admin" }).click();
    await dialog.getByText("Copied").waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), appOnlyGuide.adminMessage);

    const href = (await page.getByRole("link", { name: "Open in email" }).getAttribute("href")) ?? "";
    const mail = new URL(href);
    assert.equal(mail.protocol, "mailto:");
    assert.equal(mail.searchParams.get("subject"), `Please help me connect ${ADDRESS} to Mailgrant`);
    assert.equal(mail.searchParams.get("body"), appOnlyGuide.adminMessage);
    assert.ok(!href.includes(" ") && !href.includes("\n"), "subject and body are encoded");

    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "hidden" });
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute("data-testid")), "ask-admin");
    await context.close();
  });

  it("step 3 offers 'please register it for me' to someone who may not create app registrations", async () => {
    const { page, context } = await openWizard(wizardFixture());
    await answerStep1(page);
    await next(page, 2);
    await next(page, 3);
    await page.getByTestId("setup-guide").waitFor();
    assert.match(await textOf(page.getByTestId("may-not-register")), /May not create app registrations\?/);
    await page.getByTestId("ask-register").click();
    const dialog = page.getByRole("dialog", { name: "Ask your IT admin" });
    await dialog.waitFor();
    assert.equal(await page.getByTestId("admin-message").getAttribute("data-request"), "register");
    assert.match(
      (await page.getByTestId("admin-message").textContent()) ?? "",
      /I may not create app registrations\. Could you please create one for me\?/,
    );
    await inspectDialog(page, "wizard-admin-register");
    await context.close();
  });
});

describe("connect wizard: a background service (app-only)", () => {
  it("skips whose accounts, and writes the Exchange PowerShell complete once the Object ID is typed in", async () => {
    const fixture = wizardFixture({
      guide: appOnlyGuide,
      rules: [
        { cmd: "setup_guide", args: { draft: { enterpriseObjectId: OBJECT_ID } }, response: appOnlyGuideComplete },
        {
          cmd: "setup_guide",
          args: { draft: { enterpriseObjectId: CLIENT_ID } },
          response: {
            ...appOnlyGuide,
            enterpriseObjectIdProblem:
              "This is the Application (client) ID. The Object ID is another GUID, on Entra admin center › Enterprise applications › the app › Overview › Object ID.",
          },
        },
      ],
    });
    const { page, context, consoleErrors } = await openWizard(fixture);
    await answerStep1(page, { appOnly: true });
    assert.ok(await field(page, "Read mail over IMAP").isChecked(), "the services are preselected, still shown");
    await next(page, 2);
    // No audience question, no sign-in question.
    assert.equal(await page.getByLabel("Only people in my organisation").count(), 0);
    assert.equal(await page.getByLabel("In the browser on this computer").count(), 0);
    await page.getByTestId("app-only-audience").waitFor();
    await next(page, 3);
    await page.getByTestId("setup-guide").waitFor();
    assert.equal(await page.getByText("Admin consent required", { exact: true }).count(), 1);
    assert.match(
      await textOf(page.getByTestId("permission-clicks")),
      /Add a permission › “APIs my organization uses” › search “Office 365 Exchange Online” › Office 365 Exchange Online › Application permissions/,
    );
    assert.match(await textOf(page.getByTestId("grant-consent")), /Grant admin consent for your organisation's name/);
    assert.match(await textOf(page.getByTestId("exchange-step")), /Enterprise application's Object ID/);
    await inspect(page, "wizard-3-app-only");

    await next(page, 4);
    await field(page, "Application (client) ID").fill(CLIENT_ID);
    await field(page, "Client secret Value").fill(SECRET_VALUE);
    await page.getByTestId("exchange-waiting").waitFor();
    const objectId = field(page, "Enterprise application's Object ID");
    await objectId.fill(CLIENT_ID);
    await page.locator("#wz-object-id-msg").getByText("This is the Application (client) ID.", { exact: false }).waitFor();
    await objectId.fill(OBJECT_ID);
    const commands = page.getByTestId("exchange-powershell");
    await commands.waitFor();
    const text = (await commands.textContent()) ?? "";
    assert.equal(text, APP_ONLY_POWERSHELL);
    assert.ok(!text.includes("<"), "no placeholder");
    assert.match(text, new RegExp(`New-ServicePrincipal -AppId '${CLIENT_ID}' -ObjectId '${OBJECT_ID}'`));
    assert.ok(await page.getByRole("button", { name: "Copy: the PowerShell commands" }).isVisible());
    const asked = /** @type {any[]} */ (await calls(page, "setup_guide")).at(-1);
    assert.equal(asked.draft.enterpriseObjectId, OBJECT_ID);
    assert.equal(asked.draft.appOnly, true);
    await inspect(page, "wizard-4-app-only-powershell");
    await next(page, 5);
    const [save] = /** @type {any[]} */ (await calls(page, "save_account"));
    assert.equal(save.draft.enterpriseObjectId, OBJECT_ID);
    assert.deepEqual(consoleErrors, []);
    await context.close();
  });
});
