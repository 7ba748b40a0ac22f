// "Use this mailbox", in Debian's Chromium with the IPC mocked: opened from an account card and from the wizard's
// last step; the server settings as a table with copy buttons, the recipes by kind of program (the first group
// open), a snippet with its file and copy button, an account only a service can use, loading and a failure; axe,
// no horizontal scrolling, and screenshots in light and dark at 1000×720 (and 800×600).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { accountView } from "./account-fixtures.mjs";
import { mailSettings } from "./handoff-fixtures.mjs";
import { defaultAppInfo, startHarness } from "./harness.mjs";
import { calls, control, openControlled } from "./ipc-control.mjs";
import { ADDRESS, CLIENT_ID, wizardFixture } from "./wizard-fixtures.mjs";

/** @typedef {import("playwright-core").Page} Page */

/** @type {Awaited<ReturnType<typeof startHarness>>} */
let harness;
before(async () => {
  harness = await startHarness();
});
after(async () => {
  await harness?.close();
});

// ------------------------------------------------------------------------------------------------ fixtures

const adele = accountView("adele");
const reports = accountView("reports", {
  flow: "client-credentials",
  services: ["graph-send"],
  scopes: [],
  health: { signedInAs: null },
});

const settingsByName = {
  adele: mailSettings({ account: "adele", address: "adele@contoso.example" }),
  reports: mailSettings({ account: "reports", address: "reports@contoso.example", services: ["graph-send"], appOnly: true }),
};

/** @param {Record<string, unknown>} [responses] @param {Record<string, unknown>} [errors] */
function fixture(responses = {}, errors = undefined) {
  return {
    responses: {
      app_info: defaultAppInfo,
      account_views: [adele, reports],
      list_credentials: [],
      list_imports: [],
      import_sources: [],
      ...responses,
    },
    errors,
  };
}

const byName = { byArg: { mail_settings: { arg: "name", table: settingsByName } } };

/** @param {Page} page @param {string} name */
const card = (page, name) => page.locator(`[data-testid="account-card"][data-account="${name}"]`);
/** @param {Page} page */
const dialogOf = (page) => page.getByTestId("handoff-dialog");

/** @param {Page} page */
async function noHorizontalScroll(page) {
  return page.evaluate(() => {
    const body = document.querySelector('[data-testid="handoff-dialog"] .body');
    return (
      document.documentElement.scrollWidth <= window.innerWidth &&
      (!body || body.scrollWidth <= body.clientWidth)
    );
  });
}

/**
 * What the user sees at the window's size: the page behind the dialog does not scroll, so no full-page shot.
 * @param {Page} page @param {string} name
 */
async function shoot(page, name) {
  return harness.screenshot(page, name, { fullPage: false });
}

/**
 * The server table, cell by cell: { imap: { host, port, encryption }, ..., user, authentication }.
 * @param {Page} page
 */
async function serverTable(page) {
  return dialogOf(page)
    .getByTestId("server-table")
    .evaluate((table) => {
      /** @type {Record<string, any>} */
      const out = {};
      for (const th of table.querySelectorAll("thead th[data-protocol]")) {
        out[/** @type {string} */ (th.getAttribute("data-protocol"))] = { role: th.textContent?.trim() };
      }
      for (const td of table.querySelectorAll("td[data-field]")) {
        const field = /** @type {string} */ (td.getAttribute("data-field"));
        const value = (td.querySelector("code") ?? td).textContent?.trim();
        const protocol = td.getAttribute("data-protocol");
        if (protocol) out[protocol][field] = value;
        else out[field] = value;
      }
      out.rowHeaders = [...table.querySelectorAll('tbody th[scope="row"]')].map((th) => th.textContent?.replace(/\s+/g, " ").trim());
      return out;
    });
}

/** The dialog shows Microsoft 365's servers for `user`. @param {Page} page @param {string} user */
async function assertMicrosoft365Servers(page, user) {
  assert.deepEqual(await serverTable(page), {
    imap: { role: "Incoming mail (IMAP)", host: "outlook.office365.com", port: "993", encryption: "SSL/TLS" },
    smtp: { role: "Outgoing mail (SMTP)", host: "smtp.office365.com", port: "587", encryption: "STARTTLS" },
    user,
    authentication: "OAuth2",
    rowHeaders: ["Server (host name)", "Port", "Encryption (connection security)", "User name", "Authentication"],
  });
  const dialog = dialogOf(page);
  for (const name of ["Copy: the IMAP server", "Copy: the SMTP server", "Copy: the user name"]) {
    assert.ok(await dialog.getByRole("button", { name, exact: true }).isVisible(), name);
  }
}

/** The groups in order, the first open, and a recipe's snippet with its copy button. @param {Page} page @param {string} token */
async function assertRecipes(page, token) {
  const dialog = dialogOf(page);
  const groups = dialog.getByTestId("recipe-group");
  const titles = await groups.locator("summary h4").allTextContents();
  assert.deepEqual(titles, [
    "Programs that sign in to Microsoft themselves — no Mailgrant needed",
    "Programs that ask Mailgrant for a token",
    "Programs and devices that only know a password",
  ]);
  const open = await groups.evaluateAll((els) => els.map((e) => /** @type {HTMLDetailsElement} */ (e).open));
  assert.deepEqual(open, [true, false, false], "only the first group is open");
  const own = groups.nth(0);
  assert.deepEqual(await own.locator("h5").allTextContents(), [
    "Thunderbird",
    "Apple Mail (Mac, iPhone, iPad)",
    "Outlook (classic and new)",
  ]);
  const thunderbird = own.locator('[data-recipe="thunderbird"]');
  assert.equal(await thunderbird.locator("ol li").count(), 4, "numbered steps");
  assert.match((await thunderbird.textContent()) ?? "", /it needs no Mailgrant/);

  // The programs that ask Mailgrant: their lines, in a <pre>, with the file and a copy button.
  const helpers = groups.nth(1);
  assert.match((await helpers.locator("summary").textContent()) ?? "", /neomutt · isync \(mbsync\) · msmtp · git send-email/);
  await helpers.locator("summary").click();
  const msmtp = helpers.locator('[data-recipe="msmtp"]');
  await msmtp.waitFor();
  assert.match((await msmtp.locator("p").first().textContent()) ?? "", new RegExp(`\\(${token}\\)`));
  assert.equal(await msmtp.locator("p code").first().textContent(), token, "the command shows as code");
  const snippet = msmtp.getByTestId("snippet");
  assert.equal(await snippet.getAttribute("data-file"), "~/.msmtprc");
  assert.match((await snippet.locator("figcaption").textContent()) ?? "", /Lines for ~\/\.msmtprc/);
  const lines = (await snippet.locator("pre").textContent()) ?? "";
  assert.match(lines, /^account .*\nhost smtp\.office365\.com\nport 587\ntls on\ntls_starttls on\nauth xoauth2\n/);
  assert.ok(lines.includes(`passwordeval "${token}"`));
  const copy = snippet.getByRole("button", { name: "Copy lines: the lines for ~/.msmtprc (msmtp)" });
  assert.ok(await copy.isVisible());
  await copy.click();
  await snippet.getByText("Copied").waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), lines);
  // A long line scrolls inside its block, not the dialog.
  const pre = helpers.locator('[data-recipe="git-send-email"] pre');
  assert.equal(await pre.evaluate((el) => getComputedStyle(el).whiteSpace), "pre");
  assert.equal(await pre.evaluate((el) => getComputedStyle(el).overflowX), "auto");
  await helpers.locator("summary").click();
}

// ------------------------------------------------------------------------------------------------ tests

describe("use this mailbox", () => {
  it("opens from an account card: servers, recipes by kind, a snippet to copy; light and dark", async () => {
    for (const colorScheme of /** @type {const} */ (["light", "dark"])) {
      const { page, context, consoleErrors } = await openControlled(harness, fixture(), { colorScheme }, byName);
      await context.grantPermissions(["clipboard-read", "clipboard-write"]);
      const use = card(page, "adele").getByRole("button", { name: "Use this mailbox", exact: true });
      await use.click();
      const dialog = dialogOf(page);
      await dialog.getByRole("heading", { level: 2, name: "Use adele@contoso.example in your mail program" }).waitFor();
      await dialog.getByTestId("server-table").waitFor();
      assert.deepEqual(
        await page.evaluate(() => window.__MAILGRANT_CALLS__.filter((c) => c.cmd === "mail_settings").map((c) => c.args)),
        [{ name: "adele" }],
      );
      assert.equal(await page.evaluate(() => document.activeElement?.tagName), "H2", "focus moves into the dialog");
      assert.equal(await dialog.getByTestId("graph-note").count(), 0);

      await assertMicrosoft365Servers(page, "adele@contoso.example");
      assert.ok(await noHorizontalScroll(page), "no horizontal scrolling");
      assert.deepEqual(await harness.axeViolations(page), [], `axe (${colorScheme})`);
      await shoot(page, `ui-handoff-dashboard-${colorScheme}.png`);

      await assertRecipes(page, "mailgrant token adele");
      assert.deepEqual(await harness.axeViolations(page), [], `axe with a group opened (${colorScheme})`);
      await dialog.getByTestId("recipe-group").first().evaluate((el) => el.scrollIntoView({ block: "start" }));
      await shoot(page, `ui-handoff-recipes-${colorScheme}.png`);

      // Esc closes it, and focus goes back to the card's button.
      await page.keyboard.press("Escape");
      await dialog.waitFor({ state: "hidden" });
      assert.equal(await page.evaluate(() => document.activeElement?.textContent?.trim()), "Use this mailbox");
      assert.deepEqual(consoleErrors, []);
      await context.close();
    }
  });

  it("fits at 800×600: the dialog scrolls, the page does not scroll sideways", async () => {
    for (const colorScheme of /** @type {const} */ (["light", "dark"])) {
      const { page, context } = await openControlled(harness, fixture(), { width: 800, height: 600, colorScheme }, byName);
      await card(page, "adele").getByRole("button", { name: "Use this mailbox", exact: true }).click();
      const dialog = dialogOf(page);
      await dialog.getByTestId("server-table").waitFor();
      const box = await dialog.boundingBox();
      assert.ok(box && box.x >= 0 && box.y >= 0 && box.x + box.width <= 800 && box.y + box.height <= 600, "the dialog fits the window");
      const body = dialog.locator(".body");
      assert.ok(await body.evaluate((el) => el.scrollHeight > el.clientHeight), "its content scrolls inside it");
      // The snippets' group open: a long line still scrolls inside its block only.
      await dialog.getByTestId("recipe-group").nth(1).locator("summary").click();
      await dialog.locator('[data-recipe="git-send-email"] pre').scrollIntoViewIfNeeded();
      assert.ok(await noHorizontalScroll(page), "no horizontal scrolling");
      assert.deepEqual(await harness.axeViolations(page), []);
      await shoot(page, `ui-handoff-snippets-${colorScheme}-800x600.png`);
      await context.close();
    }
  });

  it("opens from the wizard's last step instead of the command-line hint", async () => {
    const { page, context, consoleErrors } = await harness.open(wizardFixture());
    page.setDefaultTimeout(8000);
    await context.grantPermissions(["clipboard-read", "clipboard-write"]);
    await page.getByRole("button", { name: "Connect a mailbox" }).click();
    const atStep = (/** @type {number} */ n) => page.locator(`[data-testid="wizard-step"][data-step="${n}"]`).waitFor();
    const next = async (/** @type {number} */ n) => {
      await page.getByTestId("wizard-next").click();
      await atStep(n);
    };
    await atStep(1);
    await page.getByLabel("Email address", { exact: true }).fill(ADDRESS);
    await page.getByLabel("Read mail over IMAP", { exact: true }).check();
    await page.getByLabel("Send mail (SMTP)", { exact: true }).check();
    await next(2);
    await page.getByText("Your organisation's directory was found").waitFor();
    await next(3);
    await page.getByTestId("setup-guide").waitFor();
    await next(4);
    await page.getByLabel("Application (client) ID", { exact: true }).fill(CLIENT_ID);
    await next(5);
    await page.getByTestId("sign-in").click();
    await atStep(6);
    await page.getByTestId("connected").waitFor();

    const step = page.getByTestId("wizard-step");
    assert.doesNotMatch((await step.textContent()) ?? "", /mailgrant token/, "no command line to type");
    const use = step.getByRole("button", { name: "Use this mailbox", exact: true });
    assert.ok(await use.isVisible());
    await page.getByTestId("connected").scrollIntoViewIfNeeded();
    await shoot(page, "ui-handoff-wizard-step6.png");
    await use.click();
    const dialog = dialogOf(page);
    await dialog.getByRole("heading", { level: 2, name: `Use ${ADDRESS} in your mail program` }).waitFor();
    await dialog.getByTestId("server-table").waitFor();
    assert.deepEqual(
      await page.evaluate(() => window.__MAILGRANT_CALLS__.filter((c) => c.cmd === "mail_settings").map((c) => c.args)),
      [{ name: ADDRESS }],
    );
    await assertMicrosoft365Servers(page, ADDRESS);
    assert.ok(await noHorizontalScroll(page));
    assert.deepEqual(await harness.axeViolations(page), []);
    await shoot(page, "ui-handoff-wizard-light.png");
    await assertRecipes(page, `mailgrant token ${ADDRESS}`);

    // Done closes it, back on the wizard's last step.
    await dialog.getByRole("button", { name: "Done", exact: true }).click();
    await dialog.waitFor({ state: "hidden" });
    await page.getByTestId("connected").waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.textContent?.trim()), "Use this mailbox");
    assert.deepEqual(consoleErrors, []);
    await context.close();
  });

  it("says an account that signs in as the app itself is not for a mail program", async () => {
    const { page, context } = await openControlled(harness, fixture(), {}, byName);
    await card(page, "reports").getByRole("button", { name: "Use this mailbox", exact: true }).click();
    const dialog = dialogOf(page);
    await dialog.getByTestId("handoff").waitFor();
    const text = ((await dialog.textContent()) ?? "").replace(/\s+/g, " ");
    assert.match(text, /a mail program can't use it/);
    assert.doesNotMatch(text, /Your mail program needs/);
    assert.match(text, /Only a service or script that is given the app's own credentials can/);
    assert.match(await dialog.getByTestId("graph-note").textContent() ?? "", /also uses Microsoft Graph/);
    assert.equal(await dialog.getByTestId("server-table").count(), 0, "no mail server to enter");
    assert.equal(await dialog.getByTestId("recipe-group").count(), 0, "no recipe for mail programs");
    assert.deepEqual(await harness.axeViolations(page), []);
    await shoot(page, "ui-handoff-app-only.png");
    await context.close();
  });

  it("shows that it is loading, and a failure with the next step and Try again", async () => {
    const refused = { code: "unknown-account", message: "there is no account named adele", diagnosis: null };
    const { page, context } = await openControlled(harness, fixture({}, { mail_settings: refused }), { colorScheme: "dark" }, {
      hold: ["mail_settings"],
    });
    await card(page, "adele").getByRole("button", { name: "Use this mailbox", exact: true }).click();
    const dialog = dialogOf(page);
    await dialog.getByText("Reading the mailbox's settings…").waitFor();
    assert.equal(await dialog.getByRole("heading", { level: 2 }).textContent(), "Use adele@contoso.example in your mail program");
    await control(page, "settle", "mail_settings", { error: refused });

    const alert = dialog.getByTestId("handoff-error");
    await alert.waitFor();
    assert.equal(await alert.getAttribute("role"), "alert");
    assert.equal(
      ((await alert.textContent()) ?? "").replace(/\s+/g, " ").trim(),
      "Problem: Mailgrant could not read this mailbox's settings: there is no account named adele. The account may have been removed meanwhile: reload the list of mailboxes.",
    );
    assert.deepEqual(await harness.axeViolations(page), []);
    await shoot(page, "ui-handoff-error-dark.png");

    await control(page, "release", "mail_settings");
    await control(page, "respond", "mail_settings", settingsByName.adele);
    await dialog.getByRole("button", { name: "Try again" }).click();
    await dialog.getByTestId("server-table").waitFor();
    assert.equal((await calls(page)).filter((c) => c === "mail_settings").length, 2);
    await context.close();
  });

  it("is usable from the keyboard: Tab reaches the copy buttons and the groups, with visible focus", async () => {
    const { page, context } = await openControlled(harness, fixture(), {}, byName);
    const use = card(page, "adele").getByRole("button", { name: "Use this mailbox", exact: true });
    await use.focus();
    await page.keyboard.press("Enter");
    const dialog = dialogOf(page);
    await dialog.getByTestId("server-table").waitFor();
    /** @param {(el: Element) => boolean} test */
    const tabUntil = async (test, max = 30) => {
      for (let i = 0; i < max; i++) {
        await page.keyboard.press("Tab");
        if (await page.evaluate(`(${test.toString()})(document.activeElement)`)) return true;
      }
      return false;
    };
    assert.ok(await tabUntil((el) => el.getAttribute("aria-label") === "Copy: the IMAP server"), "Tab reaches a copy button");
    assert.equal(await page.evaluate(() => getComputedStyle(/** @type {Element} */ (document.activeElement)).outlineStyle), "solid");
    assert.ok(
      await tabUntil((el) => el.tagName === "SUMMARY" && (el.textContent ?? "").includes("ask Mailgrant for a token")),
      "Tab reaches a group",
    );
    await page.keyboard.press("Enter");
    assert.equal(await dialog.getByTestId("recipe-group").nth(1).evaluate((el) => /** @type {HTMLDetailsElement} */ (el).open), true);
    assert.ok(await tabUntil((el) => el.tagName === "PRE"), "a snippet can be scrolled from the keyboard");
    await context.close();
  });
});
