// Shared set-up for the UI suites: the built UI served by Vite's preview server, Debian's Chromium driven by
// playwright-core (no browser download), and the IPC mocks injected before the app loads.
import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { chromium } from "playwright-core";
import { preview } from "vite";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
export const uiRoot = resolve(here, "..");
export const artifacts = process.env.MAILGRANT_ARTIFACTS ?? resolve(uiRoot, "..", "artifacts");
const mocksScript = join(here, ".mocks", "mocks.js");
const axeScript = require.resolve("axe-core/axe.min.js");

/** @typedef {import("./mocks").Fixture} Fixture */

export const defaultAppInfo = {
  name: "Mailgrant",
  version: "9.8.7-e2e",
  dataDir: "/home/ada/.config/mailgrant",
  dataDirOverridden: false,
  platform: "linux",
};

/** Starts the preview server and the browser; returns helpers and a `close`. */
export async function startHarness() {
  const server = await preview({
    root: uiRoot,
    logLevel: "silent",
    preview: { port: 0, host: "127.0.0.1", strictPort: false },
  });
  const found = server.resolvedUrls?.local[0];
  if (!found) throw new Error("the preview server did not report its URL");
  /** @type {string} */
  const url = found;
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });

  /**
   * `boot`: what Rust hands the page before it loads (`window.__MAILGRANT_BOOT__`, src-tauri/src/lib.rs), which shows
   * index.html's static first screen; the tests otherwise run without it, as in a browser. `scripts: false`: the
   * page's own scripts never load (what shows before the app's code runs); `scriptsDelayMs`: each comes that late.
   * @param {Fixture} fixture
   * @param {{ colorScheme?: "light" | "dark", width?: number, height?: number,
   *   boot?: import("../src/lib/ipc/boot").BootInfo, scripts?: boolean, scriptsDelayMs?: number }} [options]
   */
  async function open(fixture, options = {}) {
    const context = await browser.newContext({
      viewport: { width: options.width ?? 1000, height: options.height ?? 720 },
      colorScheme: options.colorScheme ?? "light",
    });
    if (options.boot) {
      await context.addInitScript((b) => {
        window.__MAILGRANT_BOOT__ = b;
      }, options.boot);
    }
    if (options.scripts === false) await context.route("**/assets/*.js", (route) => route.abort());
    const delay = options.scriptsDelayMs;
    if (delay) {
      await context.route("**/assets/*.js", async (route) => {
        await new Promise((done) => setTimeout(done, delay));
        await route.continue();
      });
    }
    await context.addInitScript((f) => {
      window.__MAILGRANT_FIXTURE__ = f;
    }, fixture);
    await context.addInitScript({ path: mocksScript });
    const page = await context.newPage();
    /** @type {string[]} */
    const consoleErrors = [];
    page.on("console", (m) => {
      if (m.type() === "error") consoleErrors.push(m.text());
    });
    page.on("pageerror", (e) => consoleErrors.push(e.message));
    await page.goto(url);
    return { page, context, consoleErrors };
  }

  /**
   * The whole page, or with `fullPage: false` the window as the user sees it (for a dialog over a long page).
   * @param {import("playwright-core").Page} page @param {string} name @param {{ fullPage?: boolean }} [options]
   */
  async function screenshot(page, name, { fullPage = true } = {}) {
    mkdirSync(artifacts, { recursive: true });
    const path = join(artifacts, name);
    await page.screenshot({ path, fullPage });
    return path;
  }

  /**
   * Until the page is what a user reads, not a frame of an update: fonts loaded, no change to the DOM for 150 ms
   * (at most 2 s, for a page with a clock), then two painted frames.
   * @param {import("playwright-core").Page} page
   */
  async function settled(page) {
    await page.evaluate(
      () =>
        new Promise((resolve) => {
          void document.fonts.ready.then(() => {
            const done = () => {
              observer.disconnect();
              clearTimeout(quiet);
              clearTimeout(cap);
              requestAnimationFrame(() => requestAnimationFrame(() => resolve(undefined)));
            };
            let quiet = setTimeout(done, 150);
            const cap = setTimeout(done, 2000);
            const observer = new MutationObserver(() => {
              clearTimeout(quiet);
              quiet = setTimeout(done, 150);
            });
            observer.observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
          });
        }),
    );
  }

  /** Serious and critical axe-core violations on the page. @param {import("playwright-core").Page} page */
  async function axeViolations(page) {
    await settled(page);
    await page.addScriptTag({ path: axeScript });
    const results = await page.evaluate(async () => {
      // @ts-expect-error axe is injected above
      const r = await window.axe.run(document, { resultTypes: ["violations"] });
      return r.violations.map((/** @type {any} */ v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        nodes: v.nodes.length,
        // Where, and axe's own words (for contrast: the colours it measured), so a failure says what to look at.
        where: v.nodes.slice(0, 3).map((/** @type {any} */ n) => `${n.target.join(" ")}: ${n.failureSummary ?? ""}`),
      }));
    });
    return results.filter((/** @type {{ impact: string }} */ v) => v.impact === "serious" || v.impact === "critical");
  }

  async function close() {
    await browser.close();
    await new Promise((done) => server.httpServer.close(() => done(undefined)));
  }

  return { url, open, screenshot, axeViolations, close };
}
