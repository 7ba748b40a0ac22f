// Whole walks through the wizard as the people it is for take them (a personal Outlook.com user, a scanner owner,
// someone whose browser shows Microsoft's error), and the long pages' layout: how tall each step is at 1000×720, the
// header after a step change at 800×600, the disabled Next button's contrast. In Debian's Chromium, IPC mocked.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { startHarness } from "./harness.mjs";
import { mailSettings } from "./handoff-fixtures.mjs";
import {
  ADDRESS,
  browserEvent,
  CLIENT_ID,
  guide,
  health,
  IMAP_SERVER,
  imapLayersOk,
  progressOf,
  redirectMismatch,
  report,
  SIGN_IN_URL,
  SMTP_SERVER,
  smtpLayersOk,
  wizardFixture,
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

/** @param {import("./mocks").Fixture} fixture @param {{ colorScheme?: "light" | "dark", width?: number, height?: number }} [options] */
async function openWizard(fixture, options) {
  const opened = await harness.open(fixture, options);
  opened.page.setDefaultTimeout(8000);
  await opened.page.getByRole("button", { name: "Connect a mailbox" }).click();
  await atStep(opened.page, 1);
  return opened;
}

/** @param {Page} page @param {number} step */
const atStep = (page, step) => page.locator(`[data-testid="wizard-step"][data-step="${step}"]`).waitFor();

/** @param {Page} page @param {number} to */
async function next(page, to) {
  await page.getByTestId("wizard-next").click();
  await atStep(page, to);
}

/** @param {Page} page @param {string} label */
const field = (page, label) => page.getByLabel(label, { exact: true });

/** @param {import("playwright-core").Locator} locator */
const textOf = async (locator) => ((await locator.textContent()) ?? "").replace(/\s+/g, " ");

/** The calls the UI made to Rust. @param {Page} page @param {string} cmd */
const calls = (page, cmd) =>
  page.evaluate((c) => window.__MAILGRANT_CALLS__.filter((x) => x.cmd === c).map((x) => x.args), cmd);

/** axe (no serious or critical), no sideways scrolling, and a screenshot. @param {Page} page @param {string} name */
async function inspect(page, name, { fullPage = true } = {}) {
  assert.deepEqual(await harness.axeViolations(page), [], `axe on ${name}`);
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), `no sideways scroll on ${name}`);
  await harness.screenshot(page, `${name}.png`, { fullPage });
}

/** The page's height in window heights. @param {Page} page */
const screens = (page) => page.evaluate(() => document.documentElement.scrollHeight / window.innerHeight);

describe("connect wizard walks", () => {
  it("a personal Outlook.com user reaches a working mailbox, and is never sent to an IT admin", async () => {
    const PERSONAL = "ada.lovelace@outlook.com";
    const reports = [
      { ...report("imap", IMAP_SERVER, imapLayersOk), mailbox: PERSONAL },
      { ...report("smtp", "smtp-mail.outlook.com:587", smtpLayersOk), mailbox: PERSONAL },
    ];
    const fixture = wizardFixture({
      guide: guide({ accountType: "Personal Microsoft accounts only" }),
      responses: {
        save_account: { ...health, name: PERSONAL, address: PERSONAL },
        test_account: reports,
        mail_settings: mailSettings({ account: PERSONAL, address: PERSONAL }),
      },
      rules: [
        { cmd: "sign_in", events: [browserEvent], hold: true },
        { cmd: "test_account", events: progressOf(reports), eventGapMs: 20 },
      ],
    });
    const { page, context, consoleErrors } = await openWizard(fixture);
    const noItAdmin = async (/** @type {string} */ where) => {
      assert.equal(await page.getByText("IT admin", { exact: false }).filter({ visible: true }).count(), 0, `no IT admin on ${where}`);
    };

    // Step 1: what will use it; a mail program preselects IMAP and SMTP, still shown to change.
    await field(page, "Email address").fill(PERSONAL);
    await field(page, "A mail program").check();
    assert.ok(await field(page, "Read mail over IMAP").isChecked());
    assert.ok(await field(page, "Send mail (SMTP)").isChecked());
    assert.ok(!(await field(page, "Read mail over POP").isChecked()));
    assert.match(await textOf(page.locator("#wz-services-hint")), /Chosen for you from the answer above/);
    await page.getByTestId("needs-directory").waitFor();
    await noItAdmin("step 1");
    await inspect(page, "walk-personal-1-what");
    await next(page, 2);

    // Step 2: personal accounts only, selected for the user.
    await page.getByText("so “Personal Microsoft accounts only” is selected for you", { exact: false }).waitFor();
    assert.ok(await field(page, "Personal Microsoft accounts only").isChecked());
    await noItAdmin("step 2");
    await next(page, 3);

    // Step 3: a directory of one's own, Outlook.com's IMAP switch, the portal's words; no IT admin.
    await page.getByTestId("setup-guide").waitFor();
    const before = await textOf(page.getByTestId("before-you-start"));
    assert.match(before, /directory of your own/);
    assert.match(before, /Outlook\.com › Settings › Mail › Forwarding and IMAP/);
    assert.equal(await page.getByTestId("ask-register").count(), 0);
    assert.equal(await page.getByTestId("account-type").textContent(), "Personal Microsoft accounts only");
    await noItAdmin("step 3");
    await inspect(page, "walk-personal-3-register");
    await next(page, 4);

    // Step 4: no tenant to paste for a personal account.
    assert.equal(await page.getByLabel("Directory (tenant) ID").count(), 0);
    await field(page, "Application (client) ID").fill(CLIENT_ID);
    await next(page, 5);
    const [save] = /** @type {any[]} */ (await calls(page, "save_account"));
    assert.deepEqual(
      { audience: save.draft.audience, tenant: save.draft.tenant, services: save.draft.services, appOnly: save.draft.appOnly },
      { audience: "personal", tenant: "", services: ["imap", "smtp"], appOnly: false },
    );

    // Step 5: waiting in the browser; then Microsoft hands the sign-in back.
    await page.getByTestId("sign-in").click();
    await page.getByText("Waiting for you in the browser…").waitFor();
    await noItAdmin("step 5");
    await inspect(page, "walk-personal-5-waiting");
    await page.evaluate(() => window.__MAILGRANT_MOCK__.settle("sign_in"));

    // Step 6: connected, and "Use this mailbox" is the way on.
    await atStep(page, 6);
    await page.getByTestId("connected").waitFor();
    assert.equal(
      await page.getByTestId("what-works").textContent(),
      "Mail programs can now read mail over IMAP and send over SMTP with Mailgrant's tokens.",
    );
    await noItAdmin("step 6");
    await inspect(page, "walk-personal-6-connected");
    assert.deepEqual(consoleErrors, []);
    await context.close();
  });

  it("a scanner owner gets SMTP only, and reaches the Use this mailbox page", async () => {
    const reports = [report("smtp", SMTP_SERVER, smtpLayersOk)];
    const fixture = wizardFixture({
      responses: { test_account: reports },
      rules: [{ cmd: "test_account", events: progressOf(reports), eventGapMs: 20 }],
    });
    const { page, context, consoleErrors } = await openWizard(fixture);
    await field(page, "Email address").fill(ADDRESS);
    await field(page, "A scanner, copier or other device").check();
    assert.ok(await field(page, "Send mail (SMTP)").isChecked());
    assert.ok(!(await field(page, "Read mail over IMAP").isChecked()), "a scanner only sends");
    // The background service waits under Advanced / for IT.
    assert.ok(!(await field(page, "An unattended background service (no one signs in)").isVisible()));
    await next(page, 2);
    await page.getByText("Your organisation's directory was found").waitFor();
    await next(page, 3);
    await page.getByTestId("setup-guide").waitFor();
    await next(page, 4);
    await field(page, "Application (client) ID").fill(CLIENT_ID);
    await next(page, 5);
    const [save] = /** @type {any[]} */ (await calls(page, "save_account"));
    assert.deepEqual(save.draft.services, ["smtp"]);
    await page.getByTestId("sign-in").click();
    await atStep(page, 6);
    await page.getByTestId("connected").waitFor();
    assert.equal(await page.getByTestId("what-works").textContent(), "Mail programs can now send over SMTP with Mailgrant's tokens.");
    await page.getByTestId("use-mailbox").click();
    const dialog = page.getByRole("dialog");
    await dialog.getByRole("heading", { level: 2, name: `Use ${ADDRESS} in your mail program` }).waitFor();
    await dialog.getByTestId("server-table").waitFor();
    await inspect(page, "walk-scanner-use-this-mailbox", { fullPage: false });
    assert.deepEqual(consoleErrors, []);
    await context.close();
  });

  it("an error Microsoft showed only in the browser is typed in on the waiting screen and explained", async () => {
    const fixture = wizardFixture({
      rules: [
        { cmd: "sign_in", events: [browserEvent], hold: true },
        { cmd: "explain_code", args: { code: "AADSTS50011" }, response: redirectMismatch },
        { cmd: "explain_code", response: null },
      ],
    });
    const { page, context, consoleErrors } = await openWizard(fixture);
    await page.clock.install();
    await field(page, "Email address").fill(ADDRESS);
    await field(page, "A mail program").check();
    await next(page, 2);
    await next(page, 3);
    await next(page, 4);
    await field(page, "Application (client) ID").fill(CLIENT_ID);
    await next(page, 5);
    await page.getByTestId("sign-in").click();
    await page.getByText("Waiting for you in the browser…").waitFor();
    assert.equal(await page.getByTestId("long-wait").count(), 0, "no hint at first");

    // After a minute, a gentle hint.
    await page.clock.fastForward("01:05");
    await page.getByTestId("long-wait").waitFor();
    assert.match(await textOf(page.getByTestId("long-wait")), /If the browser shows an error from Microsoft, type its code below/);

    // An unknown code says so; a known one is Rust's diagnosis, with the step that fixes it.
    const code = field(page, "Microsoft showed an error? Type its code");
    await code.fill("4242");
    await page.getByRole("button", { name: "Explain this code" }).click();
    await page.getByText("Mailgrant does not know the code 4242", { exact: false }).waitFor();
    await code.fill("AADSTS50011");
    await page.getByRole("button", { name: "Explain this code" }).click();
    const panel = page.getByTestId("diagnosis");
    await panel.waitFor();
    assert.equal(await panel.getAttribute("data-code"), "AADSTS50011");
    assert.match(await textOf(panel), /The app doesn't list the address the sign-in returns to/);
    assert.deepEqual(await calls(page, "explain_code"), [{ code: "4242" }, { code: "AADSTS50011" }]);
    await inspect(page, "walk-browser-error-5");

    // Its remedy goes to step 3 (and stops waiting for the browser).
    await page.getByTestId("remedy").click();
    await atStep(page, 3);
    assert.equal((await calls(page, "cancel_sign_in")).length, 1);
    assert.deepEqual(consoleErrors, []);
    await context.close();
  });
});

describe("connect wizard: long pages", () => {
  it("steps 3 and 6 fit in about two screens (at most 2.3 window heights) at 1000×720; the sign-in address is a link, not a box", async () => {
    const fixture = wizardFixture({ rules: [{ cmd: "sign_in", events: [browserEvent], hold: true }] });
    const { page, context } = await openWizard(fixture);
    await field(page, "Email address").fill(ADDRESS);
    await field(page, "A mail program").check();
    await inspect(page, "long-1-what");
    assert.ok((await screens(page)) <= 2.1, `step 1 is ${await screens(page)} screens`);
    await next(page, 2);
    await next(page, 3);
    await page.getByTestId("setup-guide").waitFor();
    await inspect(page, "long-3-register");
    const three = await screens(page);
    assert.ok(three <= 2.3, `step 3 is ${three.toFixed(2)} screens tall`);
    await next(page, 4);
    await field(page, "Application (client) ID").fill(CLIENT_ID);
    await next(page, 5);
    await page.getByTestId("sign-in").click();
    await page.getByText("Waiting for you in the browser…").waitFor();
    assert.equal(await page.getByText(SIGN_IN_URL).count(), 0, "the address is not printed in a box");
    assert.equal(await page.getByRole("link", { name: "Open the sign-in page again" }).getAttribute("href"), SIGN_IN_URL);
    await inspect(page, "long-5-sign-in");
    await page.evaluate(() => window.__MAILGRANT_MOCK__.settle("sign_in"));
    await atStep(page, 6);
    await page.getByTestId("connected").waitFor();
    await inspect(page, "long-6-connected");
    const six = await screens(page);
    assert.ok(six <= 2.3, `step 6 is ${six.toFixed(2)} screens tall`);
    // The working protocols' checks are folded away, and open on a click.
    const checks = page.locator("details.checks").first();
    assert.equal(await checks.evaluate((d) => /** @type {HTMLDetailsElement} */ (d).open), false);
    await page.getByTestId("ask-admin").click();
    await page.getByTestId("admin-message").waitFor();
    await inspect(page, "long-admin-message", { fullPage: false });
    await context.close();
  });

  it("after a step change at 800×600 the header is in view and the step's heading has focus", async () => {
    const { page, context } = await openWizard(wizardFixture(), { width: 800, height: 600 });
    await field(page, "Email address").fill(ADDRESS);
    await field(page, "A mail program").check();
    // Next sits at the bottom of a page taller than the window.
    await page.getByTestId("wizard-next").scrollIntoViewIfNeeded();
    assert.ok((await page.evaluate(() => window.scrollY)) > 0, "scrolled down to reach Next");
    await next(page, 2);
    await page.waitForFunction(() => document.activeElement?.textContent === "Whose accounts");
    const top = await page.getByRole("heading", { level: 1, name: "Connect a mailbox" }).evaluate((h) => h.getBoundingClientRect().top);
    assert.ok(top >= 0 && top < 200, `the header is in view (top ${top})`);
    await page.getByTestId("wizard-next").scrollIntoViewIfNeeded();
    await next(page, 3);
    const top3 = await page.getByTestId("step-indicator").evaluate((h) => h.getBoundingClientRect().top);
    assert.ok(top3 >= 0 && top3 < 600, `the progress is in view (top ${top3})`);
    await context.close();
  });

  for (const colorScheme of /** @type {const} */ (["light", "dark"])) {
    it(`the disabled Next button reads at WCAG AA in ${colorScheme} mode`, async () => {
      const { page, context } = await openWizard(wizardFixture(), { colorScheme });
      const next = page.getByTestId("wizard-next");
      assert.ok(await next.isDisabled());
      const ratio = await next.evaluate((el) => {
        const rgb = (/** @type {string} */ c) => (c.match(/[\d.]+/g) ?? []).slice(0, 3).map(Number);
        const lum = (/** @type {number[]} */ [r, g, b]) => {
          const f = (/** @type {number} */ v) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
          return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
        };
        const style = getComputedStyle(el);
        const fg = lum(rgb(style.color));
        const bg = lum(rgb(style.backgroundColor));
        return { ratio: (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05), opacity: style.opacity };
      });
      assert.equal(ratio.opacity, "1", "not faded");
      assert.ok(ratio.ratio >= 4.5, `contrast ${ratio.ratio.toFixed(2)}:1`);
      await context.close();
    });
  }
});
