// The static first screen in index.html: what the window shows before the app's code has run, when Rust handed the
// page its boot facts (`window.__MAILGRANT_BOOT__`). It must be the screen the app then draws, not a stand-in: the
// welcome screen pixel for pixel, the dashboard's frame for a user with accounts. In Debian's Chromium, IPC mocked.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { NOT_SIGNED_IN, accountView } from "./account-fixtures.mjs";
import { defaultAppInfo, startHarness } from "./harness.mjs";

/** @type {Awaited<ReturnType<typeof startHarness>>} */
let harness;
before(async () => {
  harness = await startHarness();
});
after(async () => {
  await harness?.close();
});

const responses = { app_info: defaultAppInfo, account_views: [], list_credentials: [], list_imports: [], import_sources: [] };

/**
 * How many pixels of two screenshots differ by more than a few levels in a colour channel; -1 when their sizes
 * differ. Counted in a page (canvas), as Node has no PNG decoder.
 * @param {import("playwright-core").Page} page @param {Buffer} a @param {Buffer} b
 */
async function pixelsDiffering(page, a, b) {
  return page.evaluate(
    async ([a, b]) => {
      /** @param {string} data */
      async function pixels(data) {
        const image = new Image();
        image.src = `data:image/png;base64,${data}`;
        await image.decode();
        const canvas = document.createElement("canvas");
        canvas.width = image.width;
        canvas.height = image.height;
        const context = /** @type {CanvasRenderingContext2D} */ (canvas.getContext("2d"));
        context.drawImage(image, 0, 0);
        return context.getImageData(0, 0, image.width, image.height).data;
      }
      const [x, y] = await Promise.all([pixels(a), pixels(b)]);
      if (x.length !== y.length) return -1;
      let differing = 0;
      for (let i = 0; i < x.length; i += 4) {
        if (Math.abs(x[i] - y[i]) > 8 || Math.abs(x[i + 1] - y[i + 1]) > 8 || Math.abs(x[i + 2] - y[i + 2]) > 8) differing++;
      }
      return differing;
    },
    [a.toString("base64"), b.toString("base64")],
  );
}

/** The page once the app has drawn its first screen in place of the static one. @param {import("playwright-core").Page} page */
async function appDrawn(page) {
  await page.locator("#shell").waitFor({ state: "detached" });
  await page.getByTestId("app-version").waitFor();
}

describe("static first screen", () => {
  for (const colorScheme of /** @type {const} */ (["light", "dark"])) {
    it(`is the welcome screen, pixel for pixel (${colorScheme}), and the app then asks only for the accounts`, async () => {
      const boot = { info: defaultAppInfo, accounts: 0 };
      const still = await harness.open({ responses }, { boot, colorScheme, scripts: false });
      const shell = still.page.locator("#shell");
      await shell.waitFor();
      assert.equal(await shell.getAttribute("data-start"), "welcome");
      assert.equal(await still.page.locator("#app").innerHTML(), "", "no app code ran");
      const shellShot = await still.page.screenshot();
      await still.context.close();

      const { page, context, consoleErrors } = await harness.open({ responses }, { boot, colorScheme });
      await appDrawn(page);
      await page.getByRole("heading", { level: 1, name: "Mailgrant" }).waitFor();
      const appShot = await page.screenshot();
      assert.equal(await pixelsDiffering(page, shellShot, appShot), 0, "the static screen and the app's differ");
      const calls = await page.evaluate(() => window.__MAILGRANT_CALLS__.map((c) => c.cmd));
      assert.deepEqual(calls, ["account_views"], "the app info came with the page");
      assert.equal(await page.getByTestId("app-version").textContent(), "Version 9.8.7-e2e");
      assert.deepEqual(consoleErrors, []);
      await context.close();
    });
  }

  it("is the dashboard's frame for a user with accounts, until the cards come", async () => {
    const adele = accountView("adele", { health: NOT_SIGNED_IN, services: ["imap"], scopes: [] });
    const boot = { info: defaultAppInfo, accounts: 1 };
    const fixture = { responses: { ...responses, account_views: [adele] }, delays: { account_views: 400 } };
    const still = await harness.open(fixture, { boot, scripts: false });
    await still.page.locator("#shell").waitFor();
    assert.equal(await still.page.locator("#shell").getAttribute("data-start"), "accounts");
    assert.ok(await still.page.getByRole("heading", { level: 1, name: "Your mailboxes" }).isVisible());
    assert.equal(await still.page.locator("#shell-count").textContent(), "1 account");
    const parts = ["header.bar", ".dashboard h1", ".dashboard .actions"];
    const shellShots = [];
    for (const part of parts) shellShots.push(await still.page.locator(`#shell ${part}`).screenshot());
    await still.context.close();

    const { page, context, consoleErrors } = await harness.open(fixture, { boot });
    // The accounts take 400 ms to come: meanwhile the frame stands.
    await page.locator("#shell").waitFor();
    await page.locator('[data-testid="account-card"][data-account="adele"]').waitFor();
    assert.equal(await page.locator("#shell").count(), 0, "the static frame went when the cards came");
    for (const [i, part] of parts.entries()) {
      const drawn = await page.locator(`#app ${part}`).first().screenshot();
      assert.equal(await pixelsDiffering(page, shellShots[i], drawn), 0, `${part} differs from the static frame's`);
    }
    assert.deepEqual(consoleErrors, []);
    await context.close();
  });

  for (const label of ["Connect a mailbox", "Settings"]) {
    it(`carries out a click on its ${label} button made before the app's code ran`, async () => {
      const boot = { info: defaultAppInfo, accounts: 0 };
      const { page, context, consoleErrors } = await harness.open(
        { responses: { ...responses, desktop_settings: { keepRunningWhenClosed: true, startAtLogin: false, trayShown: false } } },
        { boot, scriptsDelayMs: 500 },
      );
      await page.locator("#shell").getByRole("button", { name: label, exact: true }).click();
      assert.equal(await page.locator("#app").innerHTML(), "", "the click came before the app's code");
      if (label === "Settings") await page.getByTestId("settings-dialog").getByRole("heading", { name: label }).waitFor();
      else await page.getByRole("heading", { level: 1, name: label }).waitFor();
      assert.deepEqual(consoleErrors, []);
      await context.close();
    });
  }

  it("stays hidden without boot facts (a browser, the other tests) and goes once the app runs", async () => {
    const { page, context } = await harness.open({ responses });
    await appDrawn(page);
    const calls = await page.evaluate(() => window.__MAILGRANT_CALLS__.map((c) => c.cmd).sort());
    assert.deepEqual(calls, ["account_views", "app_info"]);
    await context.close();
  });
});
