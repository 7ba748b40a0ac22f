// The JS and CSS the UI ships (ui/dist) and what its first screen loads of it: the built UI in Debian's Chromium
// with the IPC mocked, opened with no account (Welcome) and with 100 accounts (the dashboard); every script and
// stylesheet the page fetched until its first screen showed, plus what index.html carries inline. Sizes are as
// the webview parses them (kB = 1,000 bytes) and gzipped. Not a test: it prints figures. Run after `npm run build`
// and `npm run build:mocks`:
//   node e2e/shipped-bytes.mjs
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

import { NOT_SIGNED_IN, accountView } from "./account-fixtures.mjs";
import { defaultAppInfo, startHarness, uiRoot } from "./harness.mjs";

const dist = join(uiRoot, "dist");

/** @param {number} n */
const kB = (n) => `${(n / 1000).toFixed(1)} kB`;
/** @param {string | Buffer} data */
const gz = (data) => gzipSync(data, { level: 9 }).length;

/** @param {string} dir @returns {string[]} */
function files(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)],
  );
}

/** @param {string[]} paths @param {string} ext */
function sum(paths, ext) {
  const chosen = paths.filter((p) => p.endsWith(ext));
  const raw = chosen.reduce((n, p) => n + readFileSync(p).length, 0);
  const zipped = chosen.reduce((n, p) => n + gz(readFileSync(p)), 0);
  return { files: chosen.length, raw, zipped };
}

/** @param {{ files: number, raw: number, zipped: number }} s */
const show = (s) => `${kB(s.raw)} (${kB(s.zipped)} gzip) in ${s.files} file${s.files === 1 ? "" : "s"}`;

/** What index.html carries inline (critical CSS, boot script). */
function inline() {
  const html = readFileSync(join(dist, "index.html"), "utf8");
  const css = [...html.matchAll(/<style[^>]*>([\s\S]*?)<\/style>/g)].map((m) => m[1]).join("");
  const js = [...html.matchAll(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g)].map((m) => m[1]).join("");
  return { html: Buffer.byteLength(html), css: Buffer.byteLength(css), js: Buffer.byteLength(js) };
}

/** 100 accounts as Rust lists them before anyone signed in (what `mailgrant add` leaves). */
const accounts = Array.from({ length: 100 }, (_, i) => accountView(`user${i + 1}`, { health: NOT_SIGNED_IN }));

const all = files(dist);
console.log(`ui/dist, everything it ships: JS ${show(sum(all, ".js"))}; CSS ${show(sum(all, ".css"))}`);
const inl = inline();
console.log(`  index.html ${kB(inl.html)}, of which inline CSS ${kB(inl.css)}, inline JS ${kB(inl.js)}`);

const harness = await startHarness();
try {
  /** @type {Array<[string, unknown[], (page: import("playwright-core").Page) => Promise<unknown>]>} */
  const screens = [
    ["first screen with no account (Welcome)", [], (page) => page.getByRole("button", { name: "Connect a mailbox" }).waitFor()],
    ["first screen with 100 accounts (dashboard)", accounts, (page) => page.getByText("user100@contoso.example").first().waitFor()],
  ];
  for (const [label, views, shown] of screens) {
    const { page, context, consoleErrors } = await harness.open({
      responses: { app_info: defaultAppInfo, account_views: views, list_accounts: [], desktop_settings: {} },
    });
    await shown(page);
    await page.waitForLoadState("networkidle");
    /** @type {string[]} */
    const loaded = await page.evaluate(() =>
      performance.getEntriesByType("resource").map((e) => new URL(e.name).pathname),
    );
    const paths = loaded.filter((p) => p.startsWith("/assets/")).map((p) => join(dist, p));
    console.log(`${label}: JS ${show(sum(paths, ".js"))}; CSS ${show(sum(paths, ".css"))} (+ inline ${kB(inl.js)} JS, ${kB(inl.css)} CSS)`);
    if (consoleErrors.length) console.log(`  console errors: ${consoleErrors.join("; ")}`);
    await context.close();
  }
} finally {
  await harness.close();
}

