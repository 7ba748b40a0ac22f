// "Set up Microsoft 365 for another product": the wizard's product mode, from choosing the product on step 1 to the
// hand-over card on step 6, in Debian's Chromium with the IPC mocked.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { startHarness } from "./harness.mjs";
import {
  ADDRESS,
  browserEvent,
  CLIENT_ID,
  handOver,
  PRODUCT_REDIRECT_URI,
  productPresets,
  progressOf,
  reportsOk,
  SECRET_VALUE,
  TENANT_ID,
  webGuide,
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

/** @param {Page} page @param {number} step */
const atStep = (page, step) => page.locator(`[data-testid="wizard-step"][data-step="${step}"]`).waitFor();

/** @param {Page} page @param {number} to */
async function next(page, to) {
  await page.getByTestId("wizard-next").click();
  await atStep(page, to);
}

/** @param {Page} page @param {string} label */
const field = (page, label) => page.getByLabel(label, { exact: true });

/** @param {Page} page @param {string} cmd */
const calls = (page, cmd) =>
  page.evaluate((c) => window.__MAILGRANT_CALLS__.filter((x) => x.cmd === c).map((x) => x.args), cmd);

/** axe (no serious or critical violations), no horizontal scrolling, and a screenshot. @param {Page} page @param {string} name */
async function inspect(page, name) {
  assert.deepEqual(await harness.axeViolations(page), [], `axe on ${name}`);
  const fits = await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
  assert.ok(fits, `no horizontal scrolling on ${name}`);
  await harness.screenshot(page, `${name}.png`);
}

describe("connect wizard: for another product", () => {
  for (const colorScheme of /** @type {const} */ (["light", "dark"])) {
    it(`walks from choosing the product to the hand-over card (${colorScheme}, 1000×720)`, async () => {
      const fixture = wizardFixture({
        guide: webGuide,
        responses: { product_presets: productPresets, hand_over: handOver() },
        rules: [
          { cmd: "sign_in", events: [browserEvent], delayMs: 300 },
          { cmd: "test_account", events: progressOf(reportsOk), eventGapMs: 40 },
        ],
      });
      const { page, context, consoleErrors } = await harness.open(fixture, { colorScheme, width: 1000, height: 720 });
      page.setDefaultTimeout(8000);
      const name = (/** @type {string} */ s) => `wizard-product-${s}-${colorScheme}-1000x720`;
      await page.getByRole("button", { name: "Connect a mailbox" }).click();
      await atStep(page, 1);

      // Step 1: the way in, the product and its redirect URI.
      await field(page, "For another product (it asks for a client ID and secret)").check();
      const product = field(page, "Product");
      await product.locator('option[value="emailengine"]').waitFor({ state: "attached" });
      assert.match((await page.locator("#wz-next-why").textContent()) ?? "", /Choose the product\./);
      await product.selectOption("email-this-issue");
      assert.ok(await field(page, "Read mail over IMAP").isChecked(), "the preset's services");
      assert.ok(await field(page, "Send mail (SMTP)").isChecked());
      assert.ok(!(await field(page, "Read mail over POP").isChecked()));
      // The product decides who signs in: the background service is another answer (under Advanced / for IT).
      assert.ok(!(await field(page, "An unattended background service (no one signs in)").isChecked()));
      await field(page, "Email address").fill(ADDRESS);
      const redirect = field(page, "The product's redirect URI");
      assert.match(
        (await page.locator("#wz-product-redirect-hint").textContent()) ?? "",
        /Copy it from the Callback URL in the app's OAuth2 Client Credentials dialog/,
      );
      await redirect.fill("http://contoso.atlassian.net/cb");
      await redirect.blur();
      await page.getByText("The redirect URI must start with https:// (or http://localhost").first().waitFor();
      assert.ok(await page.getByTestId("wizard-next").isDisabled());
      await redirect.fill(PRODUCT_REDIRECT_URI);
      assert.ok(await page.getByTestId("wizard-next").isEnabled());
      const kept = (await page.evaluate(() => localStorage.getItem("mailgrant.connect-wizard"))) ?? "";
      assert.ok(kept.includes('"product":"email-this-issue"') && kept.includes(PRODUCT_REDIRECT_URI), "kept to resume");
      await inspect(page, name("1"));
      await next(page, 2);

      // Step 2: no flow or secret question: the product signs people in in the browser, with a secret.
      await page.getByText("Your organisation's directory was found").waitFor();
      assert.equal(await page.getByLabel("In the browser on this computer").count(), 0);
      assert.equal(await page.getByLabel("My organisation requires a client secret (Web app)").count(), 0);
      await page.getByText("Email This Issue (Jira) signs people in in the browser").waitFor();
      await next(page, 3);

      // Step 3: a Web platform with two redirect URIs, each to copy.
      await page.getByTestId("setup-guide").waitFor();
      const redirects = page.getByTestId("product-redirects");
      const redirectsText = ((await redirects.textContent()) ?? "").replace(/\s+/g, " ");
      assert.match(redirectsText, /Select a platform › Web, enter the product's address, and click Register/);
      assert.match(redirectsText, /Authentication › Web › Add URI/);
      assert.equal(await page.getByTestId("product-redirect-uri").textContent(), PRODUCT_REDIRECT_URI);
      assert.equal(await page.getByTestId("redirect-uri").textContent(), "http://localhost");
      assert.match(redirectsText, /prove the registration works before Email This Issue \(Jira\) sees it/);
      assert.ok(await page.getByRole("button", { name: "Copy: the product's redirect URI" }).isVisible());
      assert.ok(await page.getByRole("button", { name: "Copy: Mailgrant's redirect URI" }).isVisible());
      const [guideCall] = /** @type {any[]} */ (await calls(page, "setup_guide")).slice(-1);
      assert.equal(guideCall.draft.withSecret, true);
      await inspect(page, name("3"));
      await next(page, 4);

      // Step 4: client ID, tenant and the secret's Value; saved as a Web app with a secret.
      assert.equal(await field(page, "Directory (tenant) ID").inputValue(), TENANT_ID);
      await field(page, "Application (client) ID").fill(CLIENT_ID);
      await field(page, "Client secret Value").fill(SECRET_VALUE);
      await page.locator("#wz-secret-msg").getByText("Looks right.").waitFor();
      await next(page, 5);
      const [save] = /** @type {any[]} */ (await calls(page, "save_account"));
      assert.equal(save.secret, SECRET_VALUE);
      assert.deepEqual(
        { withSecret: save.draft.withSecret, appOnly: save.draft.appOnly, flow: save.draft.flow, services: save.draft.services },
        { withSecret: true, appOnly: false, flow: "auth-code", services: ["imap", "smtp"] },
      );
      const progress = (await page.evaluate(() => localStorage.getItem("mailgrant.connect-wizard"))) ?? "";
      assert.ok(!progress.includes(SECRET_VALUE), "the secret is never kept");

      // Step 5 and 6: the loopback sign-in proves the registration, then the hand-over card.
      await page.getByTestId("sign-in").click();
      await atStep(page, 6);
      await page.getByTestId("connected").waitFor();
      const card = page.getByTestId("hand-over");
      await card.waitFor();
      assert.equal(await card.getByRole("heading").textContent(), "Give these to Email This Issue (Jira)");
      const [asked] = /** @type {any[]} */ (await calls(page, "hand_over"));
      assert.deepEqual(asked, { name: ADDRESS, product: "email-this-issue", redirectUri: PRODUCT_REDIRECT_URI });
      const rows = await card.getByTestId("hand-over-row").evaluateAll((els) =>
        els.map((el) => [el.querySelector("dt")?.textContent, el.querySelector("code")?.textContent]),
      );
      const values = handOver();
      assert.deepEqual(rows, [
        ["Application (client) ID", CLIENT_ID],
        ["Directory (tenant) ID", TENANT_ID],
        ["Authority", values.authority],
        ["Authorize URL", values.authorizeUrl],
        ["Token URL", values.tokenUrl],
        ["Scopes", values.scopes.join(" ")],
        ["Redirect URI", PRODUCT_REDIRECT_URI],
        ["Incoming mail (IMAP) server", "outlook.office365.com:993"],
        ["Outgoing mail (SMTP) server", "smtp.office365.com:587"],
        ["User name", ADDRESS],
      ]);
      assert.equal(await card.getByRole("button", { name: /^Copy: / }).count(), rows.length, "each value has a copy button");
      const secret = (await card.getByTestId("hand-over-secret").textContent())?.replace(/\s+/g, " ") ?? "";
      assert.match(secret, /The client secret's Value you pasted in step 4 \(starts with Xk5…\)/);
      assert.ok(!((await page.content()).includes(SECRET_VALUE)), "the secret's Value is never shown");
      assert.equal(await page.getByTestId("use-mailbox").count(), 0);
      await inspect(page, name("6"));
      assert.deepEqual(consoleErrors, []);
      await context.close();
    });
  }
});
