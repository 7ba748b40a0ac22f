// Settings (footer): what closing the window does, "Start at login", and Quit — in Debian's Chromium, IPC mocked.
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

const settings = { keepRunningWhenClosed: true, startAtLogin: false, trayShown: false };
const base = { app_info: defaultAppInfo, account_views: [], list_credentials: [], list_imports: [], import_sources: [] };

/**
 * @param {import("playwright-core").Page} page
 * @param {string} cmd
 */
async function calls(page, cmd) {
  return page.evaluate((name) => window.__MAILGRANT_CALLS__.filter((c) => c.cmd === name).map((c) => c.args), cmd);
}

describe("settings", () => {
  it("loads only when opened, and turning on Start at login asks Rust and shows what it answered", async () => {
    const { page, context, consoleErrors } = await harness.open({
      responses: { ...base, desktop_settings: settings, set_start_at_login: { ...settings, startAtLogin: true } },
    });
    await page.getByTestId("app-version").waitFor();
    assert.deepEqual(await calls(page, "desktop_settings"), [], "nothing is asked before Settings opens");

    await page.getByTestId("open-settings").click();
    const dialog = page.getByTestId("settings-dialog");
    const keep = dialog.getByLabel("Keep my mailboxes connected when I close the window");
    const login = dialog.getByLabel("Start Mailgrant when I log in");
    await keep.waitFor();
    assert.equal(await keep.isChecked(), true);
    assert.equal(await login.isChecked(), false);
    // No tray on this desktop: the way back is the applications menu.
    assert.ok(await dialog.getByText("Open Mailgrant from your applications menu").isVisible());

    await login.click();
    await page.waitForFunction(() => window.__MAILGRANT_CALLS__.some((c) => c.cmd === "set_start_at_login"));
    assert.deepEqual(await calls(page, "set_start_at_login"), [{ on: true }]);
    await page.waitForFunction(() => {
      const box = document.querySelector("#settings-start-at-login");
      return box instanceof HTMLInputElement && box.checked;
    });
    assert.deepEqual(await harness.axeViolations(page), []);
    assert.deepEqual(consoleErrors, []);
    await harness.screenshot(page, "ui-settings.png");

    await dialog.getByRole("button", { name: "Quit Mailgrant" }).click();
    await page.waitForFunction(() => window.__MAILGRANT_CALLS__.some((c) => c.cmd === "quit_app"));
    await context.close();
  });

  it("says why when a change is refused, and keeps what was there", async () => {
    const { page, context } = await harness.open(
      {
        responses: { ...base, desktop_settings: { ...settings, trayShown: true } },
        errors: { set_keep_running: { code: "config", message: "cannot write settings.json: disk full" } },
      },
      { colorScheme: "dark", width: 800, height: 600 },
    );
    await page.getByTestId("open-settings").click();
    const dialog = page.getByTestId("settings-dialog");
    // The dialog's code loads when it first opens.
    await dialog.getByText("Its icon in the panel opens the window again.").waitFor();
    const keep = dialog.getByLabel("Keep my mailboxes connected when I close the window");
    await keep.click();
    const alert = dialog.getByRole("alert");
    await alert.waitFor();
    assert.equal(await alert.textContent(), "cannot write settings.json: disk full");
    assert.deepEqual(await calls(page, "set_keep_running"), [{ on: false }]);
    assert.equal(await keep.isChecked(), true, "the box shows the setting that still holds");
    assert.deepEqual(await harness.axeViolations(page), []);
    await harness.screenshot(page, "ui-settings-refused-dark-800x600.png");
    await context.close();
  });
});
