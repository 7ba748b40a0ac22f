// The mail bridge page ("Use it with a program that only knows passwords"), in Debian's Chromium with the IPC
// mocked: a scanner owner goes from "Use this mailbox" to the page, turns the bridge on, makes a password (shown
// once, copied), reads the server, ports and user name, sees the scanner's session and an error explained; the
// network mode shows Rust's exposure text and the certificate's fingerprint; revoking asks first; leaving the page
// stops the polling. Axe (no serious or critical) and screenshots at 1000×720.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import {
  ACCOUNT,
  bridgeFixture,
  FINGERPRINT,
  LAN_ADDRESS,
  LAN_EXPOSURE,
  PASSWORD,
  refusedSend,
  running,
  scannerSession,
  USER,
  wrongPassword,
} from "./bridge-fixtures.mjs";
import { startHarness } from "./harness.mjs";
import { control, openControlled } from "./ipc-control.mjs";

/** @typedef {import("playwright-core").Page} Page */

/** @type {Awaited<ReturnType<typeof startHarness>>} */
let harness;
before(async () => {
  harness = await startHarness();
});
after(async () => {
  await harness?.close();
});

/** The arguments of every call of `cmd`. @param {Page} page @param {string} cmd */
const argsOf = (page, cmd) =>
  page.evaluate((c) => window.__MAILGRANT_CALLS__.filter((x) => x.cmd === c).map((x) => x.args), cmd);

/** The page's ports, by protocol and kind: { "imap/plain": "41143", ... }. @param {Page} page */
const ports = (page) =>
  page.getByTestId("bridge-port").evaluateAll((rows) =>
    Object.fromEntries(
      rows.map((r) => [`${r.getAttribute("data-protocol")}/${r.getAttribute("data-tls")}`, r.querySelector("code")?.textContent]),
    ),
  );

/** @param {Page} page @param {string} testid */
const text = async (page, testid) => ((await page.getByTestId(testid).textContent()) ?? "").replace(/\s+/g, " ").trim();

/** @param {Page} page */
async function noHorizontalScroll(page) {
  return page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
}

describe("the mail bridge page", () => {
  it("a scanner owner: from Use this mailbox, bridge on, a password shown once, ports, a session and an error", async () => {
    const { page, context, consoleErrors } = await openControlled(harness, bridgeFixture());
    page.setDefaultTimeout(8000);
    await context.grantPermissions(["clipboard-read", "clipboard-write"]);

    // "Use this mailbox" → the password-only group → the bridge page.
    const card = page.locator(`[data-testid="account-card"][data-account="${ACCOUNT}"]`);
    await card.getByRole("button", { name: "Use this mailbox", exact: true }).click();
    const dialog = page.getByTestId("handoff-dialog");
    const group = dialog.locator('[data-testid="recipe-group"][data-kind="password-only"]');
    await group.locator("summary").click();
    await group.getByRole("button", { name: "Use it with a program that only knows passwords" }).click();
    await dialog.waitFor({ state: "hidden" });
    const heading = page.getByRole("heading", { level: 1, name: "Use it with a program that only knows passwords" });
    await heading.waitFor();
    await page.getByTestId("bridge-password").waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.tagName), "H1", "focus lands on the heading");
    assert.deepEqual(await argsOf(page, "bridge_account"), [{ name: ACCOUNT }]);
    const intro = ((await page.getByTestId("bridge-page").textContent()) ?? "").replace(/\s+/g, " ");
    assert.match(intro, /a scanner or copier that emails what it scans, an old mail program, or a script/);
    assert.match(intro, /Not needed for Thunderbird, Outlook or Apple Mail/);
    assert.equal(await text(page, "bridge-state"), "Off");
    assert.equal(await page.getByTestId("bridge-port").count(), 0, "no ports while it is off");
    assert.equal(await page.getByTestId("bridge-password").getAttribute("data-state"), "none");
    assert.deepEqual(await harness.axeViolations(page), [], "axe: off");
    await harness.screenshot(page, "ui-bridge-off-light.png");

    // On (Rust picks the ports: its defaults, so a program's settings hold from one start to the next); the page
    // shows what the bridge bound, for the account's protocols only.
    await control(page, "respond", "bridge_status", running());
    const toggle = page.getByRole("switch", { name: "Run the mail bridge" });
    await toggle.check();
    await page.getByTestId("bridge-state").getByText("On, for this computer").waitFor();
    assert.deepEqual(await argsOf(page, "start_bridge"), [{ lanAddress: null }]);
    assert.ok(await toggle.isChecked());
    assert.deepEqual(await ports(page), { "imap/plain": "41143", "smtp/plain": "41587" });
    const table = page.getByTestId("bridge-connection");
    assert.equal(await table.locator('[data-field="host"] code').textContent(), "127.0.0.1");
    assert.equal(await table.locator('[data-field="user"] code').textContent(), USER);
    assert.match(await text(page, "bridge-connection"), /Encryption: None: only programs on this computer can reach it/);

    // A password: shown once, with a copy button and the warning.
    await page.getByRole("button", { name: "Make a password", exact: true }).click();
    const shown = page.getByTestId("bridge-password-value");
    await shown.waitFor();
    assert.equal(await shown.textContent(), PASSWORD);
    assert.match(await text(page, "bridge-password"), /Copy it now: it won't be shown again/);
    await page.getByRole("button", { name: "Copy: the bridge password" }).click();
    await page.getByTestId("bridge-password").getByText("Copied", { exact: true }).waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), PASSWORD);
    assert.deepEqual(await harness.axeViolations(page), [], "axe: password shown");
    await harness.screenshot(page, "ui-bridge-password-light.png", { fullPage: false });
    await page.getByTestId("bridge-password").scrollIntoViewIfNeeded();
    await harness.screenshot(page, "ui-bridge-password-view-light.png", { fullPage: false });

    // The scanner logs in; an earlier send was refused: the poll brings both, the error explained.
    await control(page, "respond", "bridge_status", running({ sessions: [scannerSession], lastErrors: [refusedSend, wrongPassword] }));
    const session = page.getByTestId("bridge-session");
    await session.waitFor({ timeout: 8000 });
    assert.match((await session.textContent()) ?? "", /SMTP from 127\.0\.0\.1:52811/);
    const errors = page.getByTestId("bridge-error");
    assert.equal(await errors.count(), 2);
    assert.match((await errors.nth(1).textContent()) ?? "", /A wrong bridge password/);
    assert.equal(await errors.nth(0).getByTestId("diagnosis").getAttribute("data-code"), "SMTP 5.7.139");
    assert.ok(await noHorizontalScroll(page), "no horizontal scrolling");
    assert.deepEqual(await harness.axeViolations(page), [], "axe: session and errors");
    await harness.screenshot(page, "ui-bridge-on-light.png");

    // Put away, it is gone for good: only "make a new one" and "revoke".
    await page.getByRole("button", { name: "I've copied it" }).click();
    await shown.waitFor({ state: "detached" });
    assert.equal(await page.getByTestId("bridge-password").getAttribute("data-state"), "kept");
    assert.doesNotMatch((await page.locator("body").textContent()) ?? "", new RegExp(PASSWORD));
    assert.deepEqual(consoleErrors, []);
    await context.close();
  });

  it("network mode: a bad address is Rust's error; then TLS, the exposure text and the fingerprint", async () => {
    const { page, context, consoleErrors } = await openControlled(harness, bridgeFixture({ hasPassword: true }));
    page.setDefaultTimeout(8000);
    // From the account card this time.
    await page
      .locator(`[data-testid="account-card"][data-account="${ACCOUNT}"]`)
      .getByRole("button", { name: "Password-only programs…" })
      .click();
    await page.getByTestId("bridge-password").waitFor();
    await control(page, "respond", "bridge_status", running());
    await page.getByRole("switch", { name: "Run the mail bridge" }).check();
    await page.getByTestId("bridge-state").getByText("On, for this computer").waitFor();

    const lan = page.getByTestId("bridge-lan");
    assert.equal(await lan.getAttribute("data-on"), "false");
    const address = page.getByLabel("This computer's address on your network");
    const turnOn = page.getByRole("button", { name: "Let devices on my network use it" });
    assert.ok(await turnOn.isDisabled(), "needs an address first");
    await address.fill("not an address");
    await turnOn.click();
    const failed = page.getByTestId("bridge-action-error");
    await failed.waitFor();
    assert.equal(await failed.getAttribute("data-code"), "bad-answer");
    assert.match((await failed.textContent()) ?? "", /Could not change who can use the bridge: "not an address" is not an IP address/);

    await control(page, "respond", "bridge_status", running({ lan: true }));
    await address.fill(LAN_ADDRESS);
    await turnOn.click();
    await page.getByTestId("lan-exposure").waitFor();
    assert.equal(await failed.count(), 0, "the error is gone");
    // Started again (on the ports it had: Rust keeps them) at the address typed in.
    assert.deepEqual((await argsOf(page, "start_bridge")).at(-1), { lanAddress: LAN_ADDRESS });
    assert.equal(await lan.getAttribute("data-on"), "true");
    assert.equal(await page.getByTestId("lan-exposure").textContent(), LAN_EXPOSURE);
    assert.equal(await page.getByTestId("lan-fingerprint").textContent(), FINGERPRINT);
    assert.equal(await text(page, "bridge-state"), "On, for this computer and your network");
    assert.deepEqual(await ports(page), {
      "imap/plain": "41143",
      "smtp/plain": "41587",
      "imap/implicit": "1993",
      "smtp/implicit": "1465",
    });
    assert.equal(await page.getByTestId("bridge-connection").locator('[data-field="host"] code').textContent(), LAN_ADDRESS);
    assert.match(await text(page, "bridge-connection"), /Encryption: STARTTLS \(required\)/);
    assert.ok(await noHorizontalScroll(page));
    assert.deepEqual(await harness.axeViolations(page), [], "axe: network mode");
    await lan.scrollIntoViewIfNeeded();
    await harness.screenshot(page, "ui-bridge-lan-light.png", { fullPage: false });
    await harness.screenshot(page, "ui-bridge-lan-full-light.png");

    // Back to this computer only.
    await control(page, "respond", "bridge_status", running());
    await page.getByRole("button", { name: "Only this computer again" }).click();
    await page.getByTestId("bridge-state").getByText("On, for this computer", { exact: true }).waitFor();
    assert.deepEqual((await argsOf(page, "start_bridge")).at(-1), { lanAddress: null });
    assert.deepEqual(consoleErrors, []);
    await context.close();
  });

  it("revoking and replacing the password ask first; leaving the page stops the polling", async () => {
    const { page, context, consoleErrors } = await openControlled(harness, bridgeFixture({ hasPassword: true }));
    page.setDefaultTimeout(8000);
    await page
      .locator(`[data-testid="account-card"][data-account="${ACCOUNT}"]`)
      .getByRole("button", { name: "Password-only programs…" })
      .click();
    const panel = page.getByTestId("bridge-password");
    await panel.waitFor();
    assert.equal(await panel.getAttribute("data-state"), "kept");
    assert.match((await panel.textContent()) ?? "", /doesn't show it again/);

    const confirm = page.getByTestId("bridge-confirm");
    await page.getByRole("button", { name: "Revoke…" }).click();
    await confirm.getByRole("heading", { name: "Revoke the bridge password?" }).waitFor();
    assert.deepEqual(await harness.axeViolations(page), [], "axe: the confirmation");
    await harness.screenshot(page, "ui-bridge-revoke-confirm-light.png", { fullPage: false });
    await confirm.getByRole("button", { name: "Cancel" }).click();
    await confirm.waitFor({ state: "hidden" });
    assert.deepEqual(await argsOf(page, "revoke_bridge_password"), [], "cancel revokes nothing");

    await page.getByRole("button", { name: "Make a new one…" }).click();
    await confirm.getByText("The current password stops working at once").waitFor();
    await confirm.getByRole("button", { name: "Make a new one" }).click();
    await page.getByTestId("bridge-password-value").waitFor();
    assert.deepEqual(await argsOf(page, "new_bridge_password"), [{ name: ACCOUNT }]);
    // The new password takes the focus.
    await page.waitForFunction(() => document.activeElement?.getAttribute("aria-labelledby") === "bridge-pw-label");

    await page.getByRole("button", { name: "Revoke…" }).click();
    await confirm.getByRole("button", { name: "Revoke", exact: true }).click();
    await page.getByRole("button", { name: "Make a password", exact: true }).waitFor();
    assert.deepEqual(await argsOf(page, "revoke_bridge_password"), [{ name: ACCOUNT }]);
    assert.equal(await panel.getAttribute("data-state"), "none");
    assert.equal(await page.getByTestId("bridge-password-value").count(), 0, "the password shown is gone too");
    // The focus goes to the button that makes one again.
    await page.waitForFunction(() => document.activeElement?.textContent?.trim() === "Make a password");

    // The page polls while open, and not after it closes.
    const polls = async () => (await argsOf(page, "bridge_status")).length;
    const first = await polls();
    await page.waitForFunction(
      (n) => window.__MAILGRANT_CALLS__.filter((c) => c.cmd === "bridge_status").length > n,
      first,
      { timeout: 8000 },
    );
    await page.getByRole("button", { name: "Back", exact: true }).click();
    await page.getByTestId("bridge-page").waitFor({ state: "detached" });
    const left = await polls();
    await page.waitForTimeout(3500);
    assert.equal(await polls(), left, "no polling after the page closed");
    assert.deepEqual(consoleErrors, []);
    await context.close();
  });

  it("dark, with the network mode, a session and errors already there; an account that is gone", async () => {
    const status = running({ lan: true, sessions: [scannerSession], lastErrors: [refusedSend], connecting: 1 });
    const fixture = bridgeFixture({ hasPassword: true, status });
    const { page, context, consoleErrors } = await openControlled(harness, fixture, { colorScheme: "dark" });
    page.setDefaultTimeout(8000);
    const open = page
      .locator(`[data-testid="account-card"][data-account="${ACCOUNT}"]`)
      .getByRole("button", { name: "Password-only programs…" });
    await open.click();
    await page.getByTestId("lan-fingerprint").waitFor();
    assert.equal(await page.getByLabel("This computer's address on your network").count(), 0);
    assert.match(await text(page, "bridge-sessions"), /One more connection is logging in/);
    assert.ok(await page.getByRole("switch", { name: "Run the mail bridge" }).isChecked());
    assert.ok(await noHorizontalScroll(page));
    assert.deepEqual(await harness.axeViolations(page), [], "axe: dark");
    await harness.screenshot(page, "ui-bridge-lan-dark.png");

    // The account was removed meanwhile: said in words, with a way back.
    await page.getByRole("button", { name: "Back", exact: true }).click();
    await control(page, "fail", "bridge_account", { code: "unknown-account", message: "there is no account scans", diagnosis: null });
    await open.click();
    const failed = page.getByTestId("bridge-load-error");
    await failed.waitFor();
    assert.match((await failed.textContent()) ?? "", /Could not read this mailbox's bridge settings: There is no account scans|reload the list of mailboxes/);
    assert.ok(await page.getByRole("button", { name: "Try again" }).isVisible());
    assert.deepEqual(await harness.axeViolations(page), [], "axe: load error");
    assert.deepEqual(consoleErrors, []);
    await context.close();
  });
});
