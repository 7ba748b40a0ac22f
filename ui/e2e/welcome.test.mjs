// The welcome screen and its navigation, in Debian's Chromium with the IPC mocked.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { defaultAppInfo, startHarness } from "./harness.mjs";

/** @type {Awaited<ReturnType<typeof startHarness>>} */
let harness;
before(async () => {
  harness = await startHarness();
});
after(async () => {
  await harness?.close();
});

// No account yet (so the start screen is Welcome, not the dashboard), and no app registration.
const fixture = { responses: { app_info: defaultAppInfo, account_views: [], list_credentials: [], list_imports: [], import_sources: [] } };

describe("welcome screen", () => {
  it("shows the product, its two actions and the version that came over IPC", async () => {
    const { page, context, consoleErrors } = await harness.open(fixture);
    await page.getByRole("heading", { level: 1, name: "Mailgrant" }).waitFor();
    assert.equal(await page.getByTestId("app-version").textContent(), "Version 9.8.7-e2e");
    assert.ok(await page.getByRole("button", { name: "Connect a mailbox" }).isVisible());
    assert.ok(await page.getByRole("button", { name: "Check client-secret expiry" }).isVisible());
    const calls = await page.evaluate(() => window.__MAILGRANT_CALLS__.map((c) => c.cmd));
    assert.deepEqual(calls.sort(), ["account_views", "app_info"], "the UI asks Rust once for the app info and the accounts");
    assert.deepEqual(await harness.axeViolations(page), []);
    assert.deepEqual(consoleErrors, []);
    await harness.screenshot(page, "ui-welcome-light.png");
    await context.close();
  });

  it("follows the OS dark setting", async () => {
    const { page, context } = await harness.open(fixture, { colorScheme: "dark" });
    await page.getByTestId("app-version").waitFor();
    const bg = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
    assert.equal(bg, "rgb(11, 18, 32)");
    assert.deepEqual(await harness.axeViolations(page), []);
    await harness.screenshot(page, "ui-welcome-dark.png");
    await context.close();
  });

  it("is usable from the keyboard alone", async () => {
    const { page, context } = await harness.open(fixture);
    await page.getByTestId("app-version").waitFor();
    await page.keyboard.press("Tab");
    assert.equal(await page.evaluate(() => document.activeElement?.textContent?.trim()), "Connect a mailbox");
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { level: 1, name: "Connect a mailbox" }).waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.tagName), "H1", "focus moves to the new screen");
    await context.close();
  });

  it("reaches the secret-expiry screen and comes back", async () => {
    const { page, context } = await harness.open(fixture, { width: 800, height: 600 });
    await page.getByRole("button", { name: "Check client-secret expiry" }).click();
    await page.getByRole("heading", { level: 1, name: "Client-secret expiry" }).waitFor();
    assert.ok(await page.getByText("No client secrets or certificates yet").isVisible());
    assert.deepEqual(await harness.axeViolations(page), []);
    await harness.screenshot(page, "ui-secrets-800x600.png");
    await page.getByRole("button", { name: "Back" }).click();
    await page.getByRole("heading", { level: 1, name: "Mailgrant" }).waitFor();
    await context.close();
  });

  it("says so when the core cannot be reached", async () => {
    const { page, context } = await harness.open({
      responses: {},
      errors: { app_info: { code: "unexpected", message: "the core did not answer" } },
    });
    const alert = page.getByRole("alert");
    await alert.waitFor();
    assert.match((await alert.textContent()) ?? "", /the core did not answer/);
    await context.close();
  });
});

describe("connect screen", () => {
  it("lays out the six steps and what the user needs, at 800×600", async () => {
    const { page, context } = await harness.open(fixture, { width: 800, height: 600 });
    await page.getByRole("button", { name: "Connect a mailbox" }).click();
    await page.getByRole("heading", { level: 1, name: "Connect a mailbox" }).waitFor();
    assert.equal(await page.locator("ol li").count(), 6);
    assert.ok(await page.getByRole("complementary", { name: "What you will need" }).isVisible());
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
    assert.equal(overflow, false, "no horizontal scrolling at 800 px");
    assert.deepEqual(await harness.axeViolations(page), []);
    await harness.screenshot(page, "ui-connect-800x600.png");
    await context.close();
  });
});
