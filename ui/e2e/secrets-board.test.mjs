// The client-secret expiry board, in Debian's Chromium with the IPC mocked: empty, every threshold, filter and
// search, CSV export (clipboard and download, RFC 4180 quoting, formulas defused), 10,000 rows (rendered in a
// virtual list, scrolled, filtered — the filter time is printed), keyboard, replacing a client secret from its row,
// and axe in light, dark and 800×600.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { after, before, describe, it } from "node:test";

import { defaultAppInfo, startHarness } from "./harness.mjs";
import { control, openControlled } from "./ipc-control.mjs";
import { SECRET_VALUE } from "./wizard-fixtures.mjs";

/** @type {Awaited<ReturnType<typeof startHarness>>} */
let harness;
before(async () => {
  harness = await startHarness();
});
after(async () => {
  await harness?.close();
});

// ------------------------------------------------------------------------------------------------ fixtures

const NOW = Math.floor(Date.now() / 1000);
const DAY = 86_400;

/** As Rust's ExpiryState::at. @param {number | null} expiresAt */
function stateAt(expiresAt) {
  if (expiresAt === null) return "no-expiry";
  const left = expiresAt - NOW;
  if (left <= 0) return "expired";
  if (left <= 7 * DAY) return "within-7";
  if (left <= 14 * DAY) return "within-14";
  if (left <= 30 * DAY) return "within-30";
  return "ok";
}

/**
 * @param {string} registrationName @param {number | null} days whole days from now (plus an hour), null: no end date
 * @param {Partial<Record<string, unknown>>} [over]
 */
function credential(registrationName, days, over = {}) {
  const expiresAt = days === null ? null : NOW + days * DAY + 3600;
  const slug = registrationName.toLowerCase().replace(/[^a-z0-9]+/g, "-");
  return {
    registration: slug,
    registrationName,
    clientId: "6731de76-14a6-49ae-97bc-6eba6914391e",
    kind: "secret",
    keyId: `${slug}-key`,
    label: null,
    hint: null,
    expiresAt,
    daysLeft: expiresAt === null ? null : Math.floor((expiresAt - NOW) / DAY),
    state: stateAt(expiresAt),
    accounts: ["adele"],
    source: "mailgrant",
    tenant: null,
    missingInDirectory: false,
    ...over,
  };
}

const board = [
  credential("Old mail app", -3, { label: '=HYPERLINK("http://evil.example","open me")', accounts: ["adele"] }),
  credential("Contoso mail", 5, { label: "Prod, main", accounts: ["adele", "bob"], hint: "Qx7" }),
  credential("Fabrikam reports", 12, { kind: "certificate", label: 'Cert "A"', accounts: ["reports"] }),
  credential("Northwind", 25, { hint: "Ab1", accounts: ["carol"] }),
  credential("Tailspin", 200, { label: "+cmd|' /C calc'!A0", accounts: ["dave"] }),
  credential("Imported app", null, { accounts: [] }),
];

/** 10,000 credentials over 400 registrations, soonest first, like Rust sends them. */
function bigBoard() {
  return Array.from({ length: 10_000 }, (_, i) => {
    const days = -30 + Math.floor((i * 730) / 10_000);
    return credential(`App ${String(i % 400).padStart(3, "0")}`, days, {
      keyId: `key-${String(i).padStart(5, "0")}`,
      label: i % 3 === 0 ? `Secret ${i}` : null,
      kind: i % 5 === 0 ? "certificate" : "secret",
      accounts: [`user${i % 250}@contoso.example`],
    });
  });
}

/** The registrations an import can read through. */
const sources = [
  {
    registration: "desktop",
    name: "Mailgrant Desktop",
    clientId: "8c1b5a2e-9d3f-4b6a-8e7c-2f1d0a9b3c4e",
    tenant: "contoso.example",
    appOnly: false,
  },
  {
    registration: "service",
    name: "Mailgrant Service",
    clientId: "5e0c7d41-2a9b-4f38-b6e1-c4a7f2d90b85",
    tenant: "contoso.example",
    appOnly: true,
  },
];

/** @param {Partial<Record<string, unknown>>} [over] */
const importView = (over = {}) => ({
  id: "desktop@3f8a2c1e-5b7d-4e9f-a1c3-6d2e8b4f0a17",
  registration: "desktop",
  registrationName: "Mailgrant Desktop",
  tenantId: "3f8a2c1e-5b7d-4e9f-a1c3-6d2e8b4f0a17",
  tenant: "contoso.example",
  signedInAs: "it@contoso.example",
  appOnly: false,
  importedAt: NOW - 3 * 3600,
  applications: 214,
  credentials: 388,
  lastFailure: null,
  ...over,
});

/** Rows Graph listed for the organisation. */
const imported = [
  credential("Payroll Sync", 4, { accounts: [], source: "directory", tenant: "contoso.example", hint: "Pr9" }),
  credential("Intranet Portal", -3, { accounts: [], source: "directory", tenant: "contoso.example", label: "2025" }),
];

/** Soonest first, as Rust sorts them (no end date last, then by name and key). @param {any[]} rows */
const soonestFirst = (rows) =>
  [...rows].sort(
    (a, b) =>
      (a.expiresAt ?? Infinity) - (b.expiresAt ?? Infinity) ||
      a.registrationName.localeCompare(b.registrationName) ||
      a.keyId.localeCompare(b.keyId),
  );

/** @param {unknown[]} credentials @param {unknown[]} [imports] */
const fixture = (credentials, imports = []) => ({
  responses: {
    app_info: defaultAppInfo,
    account_views: [],
    list_credentials: credentials,
    list_imports: imports,
    import_sources: sources,
  },
});

/**
 * The CSV Rust writes for these rows (`mailgrant secrets --csv`'s columns), built independently of the mock that
 * answers `credentials_csv`. @param {any[]} rows
 */
function expectedCsv(rows) {
  const field = (/** @type {unknown} */ v) => {
    let t = v === null || v === undefined ? "" : String(v);
    if (/^[=+\-@\t\r]/.test(t) && !/^-?\d+(\.\d+)?$/.test(t)) t = `'${t}`;
    return /[",\r\n]/.test(t) ? `"${t.replaceAll('"', '""')}"` : t;
  };
  const words = {
    expired: "expired",
    "within-7": "within 7 days",
    "within-14": "within 14 days",
    "within-30": "within 30 days",
    ok: "ok",
    "no-expiry": "no expiry",
  };
  const lines = [
    "registration,client_id,kind,label,hint,key_id,expires,days_left,state,accounts,source,tenant",
    ...rows.map((r) =>
      [
        r.registrationName,
        r.clientId,
        r.kind === "secret" ? "client secret" : r.kind,
        r.label,
        r.hint,
        r.keyId,
        r.expiresAt === null ? "" : new Date(r.expiresAt * 1000).toISOString().replace(/\.\d{3}Z$/, "Z"),
        r.daysLeft,
        words[/** @type {keyof typeof words} */ (r.state)],
        r.accounts.join("; "),
        r.source,
        r.tenant,
      ]
        .map(field)
        .join(","),
    ),
  ];
  return lines.join("\r\n") + "\r\n";
}

/** The rows the app asked Rust to write as CSV, call by call. @param {import("playwright-core").Page} page */
const csvCalls = (page) =>
  page.evaluate(() =>
    window.__MAILGRANT_CALLS__
      .filter((c) => c.cmd === "credentials_csv")
      .map((c) => /** @type {{ rows: { keyId: string }[] }} */ (c.args).rows.map((r) => r.keyId)),
  );

/** @param {import("playwright-core").Page} page */
async function openBoard(page) {
  await page.getByRole("button", { name: "Check client-secret expiry" }).click();
  await page.getByRole("heading", { level: 1, name: "Client-secret expiry" }).waitFor();
}

/** @param {import("playwright-core").Page} page */
const rows = (page) => page.getByTestId("credential-row");
/** An element's text with its white space collapsed. @param {import("playwright-core").Locator} locator */
const textOf = async (locator) => ((await locator.textContent()) ?? "").replace(/\s+/g, " ").trim();
/** @param {import("playwright-core").Page} page */
const rowKeys = (page) => rows(page).evaluateAll((els) => els.map((e) => e.getAttribute("data-key")));

/**
 * Sets a control's value as typing would, and measures until the count line has changed and until the next
 * frame is painted. @param {import("playwright-core").Page} page @param {string} selector @param {string} value
 */
function timedChange(page, selector, value) {
  return page.evaluate(
    async ([sel, val]) => {
      const control = /** @type {HTMLInputElement | HTMLSelectElement} */ (document.querySelector(sel));
      const count = /** @type {HTMLElement} */ (document.querySelector('[data-testid="board-count"]'));
      const before = count.textContent;
      const started = performance.now();
      control.value = val;
      control.dispatchEvent(new Event(control.tagName === "SELECT" ? "change" : "input", { bubbles: true }));
      await new Promise((done) => {
        const check = () => (count.textContent !== before ? done(undefined) : queueMicrotask(check));
        check();
      });
      const updated = performance.now() - started;
      await new Promise((done) => requestAnimationFrame(() => setTimeout(done, 0)));
      return { updated, painted: performance.now() - started };
    },
    [selector, value],
  );
}

// ------------------------------------------------------------------------------------------------ tests

describe("client-secret expiry board", () => {
  it("says so when there is nothing yet", async () => {
    const { page, context, consoleErrors } = await harness.open(fixture([]));
    await openBoard(page);
    await page.getByTestId("board-empty").waitFor();
    assert.ok(await page.getByText("No client secrets or certificates yet").isVisible());
    assert.ok(await page.getByRole("button", { name: "Import from Microsoft Graph…" }).isVisible());
    assert.equal(await rows(page).count(), 0);
    assert.deepEqual(await harness.axeViolations(page), []);
    assert.deepEqual(consoleErrors, []);
    await context.close();
  });

  it("lists every secret and certificate soonest first, with each threshold in words and icons", async () => {
    const { page, context, consoleErrors } = await harness.open(fixture(board));
    await openBoard(page);
    await rows(page).first().waitFor();
    assert.equal(await page.getByTestId("board-count").textContent(), "6 secrets and certificates, soonest first");
    assert.deepEqual(await rowKeys(page), board.map((c) => c.keyId));

    /** @type {[string, string, RegExp][]} */
    const expected = [
      ["expired", "Expired", /Expired 3 days ago/],
      ["within-7", "7 days or less", /5 days left/],
      ["within-14", "14 days or less", /12 days left/],
      ["within-30", "30 days or less", /25 days left/],
      ["ok", "OK", /200 days left/],
      ["no-expiry", "No end date", /No end date/],
    ];
    for (const [i, [state, word, days]] of expected.entries()) {
      const row = rows(page).nth(i);
      assert.equal(await row.getAttribute("data-state"), state);
      const badge = row.getByTestId("expiry-state");
      assert.equal((await badge.textContent())?.trim(), word);
      assert.equal(await badge.locator("svg").count(), 1, `${state}: an icon with the word`);
      assert.match((await row.getByTestId("days-left").textContent()) ?? "", days);
    }
    const second = (await rows(page).nth(1).textContent()) ?? "";
    assert.match(second, /Contoso mail/);
    assert.match(second, /Client secret: Prod, main/);
    assert.match(second, /starts Qx7…/);
    assert.match(second, /adele, bob/);
    assert.match((await rows(page).nth(2).textContent()) ?? "", /Certificate: Cert "A"/);
    assert.match((await rows(page).nth(5).textContent()) ?? "", /No account/);

    const summary = (await page.getByTestId("board-summary").textContent()) ?? "";
    assert.match(summary, /4 need attention/);
    assert.equal(
      await page.getByRole("table", { name: "Client secrets and certificates" }).getAttribute("aria-rowcount"),
      "7",
    );
    assert.deepEqual(await harness.axeViolations(page), []);
    assert.deepEqual(consoleErrors, []);
    await harness.screenshot(page, "ui-secrets-board-light.png");
    await context.close();
  });

  it("filters by state and searches any field", async () => {
    const { page, context } = await harness.open(fixture(board));
    await openBoard(page);
    await rows(page).first().waitFor();
    const show = page.getByLabel("Show", { exact: true });
    const search = page.getByLabel("Search");
    const count = page.getByTestId("board-count");

    await show.selectOption("expired");
    assert.deepEqual(await rowKeys(page), ["old-mail-app-key"]);
    assert.equal(await count.textContent(), "Showing 1 of 6");
    await show.selectOption("attention");
    assert.equal(await rows(page).count(), 4);
    await show.selectOption("within-14");
    assert.deepEqual(await rowKeys(page), ["fabrikam-reports-key"]);
    await show.selectOption("ok");
    assert.deepEqual(await rowKeys(page), ["tailspin-key"]);
    await show.selectOption("no-expiry");
    assert.deepEqual(await rowKeys(page), ["imported-app-key"]);

    await show.selectOption("all");
    await search.fill("ADELE");
    assert.deepEqual(await rowKeys(page), ["old-mail-app-key", "contoso-mail-key"]);
    await search.fill("certificate fabrikam");
    assert.deepEqual(await rowKeys(page), ["fabrikam-reports-key"]);
    await search.fill("ab1");
    assert.deepEqual(await rowKeys(page), ["northwind-key"]);
    await search.fill("adele");
    await show.selectOption("within-7");
    assert.deepEqual(await rowKeys(page), ["contoso-mail-key"]);

    await search.fill("nothing like this");
    await page.getByTestId("board-no-match").waitFor();
    assert.deepEqual(await harness.axeViolations(page), []);
    await page.getByTestId("board-no-match").getByRole("button", { name: "Show all" }).click();
    assert.equal(await rows(page).count(), 6);
    assert.equal(await search.inputValue(), "");
    assert.equal(await show.inputValue(), "all");

    // The summary's badges are shortcuts to their filter.
    await page.getByRole("button", { name: "Show only 7 days or less 1" }).click();
    assert.equal(await show.inputValue(), "within-7");
    assert.deepEqual(await rowKeys(page), ["contoso-mail-key"]);
    await context.close();
  });

  it("exports the rows shown as CSV, to the clipboard and as a download", async () => {
    const { page, context, consoleErrors } = await harness.open(fixture(board));
    await context.grantPermissions(["clipboard-read", "clipboard-write"]);
    await openBoard(page);
    await rows(page).first().waitFor();

    await page.getByRole("button", { name: "Copy CSV" }).click();
    await page.getByText("Copied 6 rows as CSV.").waitFor();
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    assert.equal(copied, expectedCsv(board));
    // RFC 4180 quoting and defused formulas, spelled out.
    assert.match(copied, /\r\nOld mail app,[^\r\n]*,"'=HYPERLINK\(""http:\/\/evil\.example"",""open me""\)",/);
    assert.match(copied, /,"Prod, main",Qx7,/);
    assert.match(copied, /,"Cert ""A""",/);
    assert.match(copied, /,'\+cmd\|' \/C calc'!A0,/);
    assert.match(copied, /,-3,expired,adele,mailgrant,\r\n/, "a negative number stays a number");
    assert.deepEqual(await csvCalls(page), [board.map((r) => r.keyId)], "Rust writes the rows shown");

    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("link", { name: "Download CSV" }).click(),
    ]);
    assert.equal(download.suggestedFilename(), "mailgrant-client-secrets.csv");
    assert.match(download.url(), /^blob:/);
    assert.equal(await readFile(await download.path(), "utf8"), expectedCsv(board));
    assert.equal((await csvCalls(page)).length, 2, "the download asks Rust for the CSV when it is used");

    // Filtered: only what is shown.
    await page.getByLabel("Show", { exact: true }).selectOption("attention");
    await page.getByRole("button", { name: "Copy CSV" }).click();
    await page.getByText("Copied 4 rows as CSV.").waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), expectedCsv(board.slice(0, 4)));
    assert.deepEqual((await csvCalls(page))[2], board.slice(0, 4).map((r) => r.keyId));
    assert.deepEqual(consoleErrors, []);
    await context.close();
  });

  it("renders, scrolls and filters 10,000 rows, only those in view in the page", async (t) => {
    const many = bigBoard();
    const { page, context, consoleErrors } = await harness.open(fixture(many));
    await page.getByRole("button", { name: "Check client-secret expiry" }).waitFor();
    const started = Date.now();
    await openBoard(page);
    await rows(page).first().waitFor();
    const renderMs = Date.now() - started;
    assert.equal(await page.getByTestId("board-count").textContent(), "10,000 secrets and certificates, soonest first");
    const inDom = await rows(page).count();
    assert.ok(inDom > 0 && inDom < 60, `only the rows in view are in the page (${inDom})`);
    const table = page.getByRole("table", { name: "Client secrets and certificates" });
    assert.equal(await table.getAttribute("aria-rowcount"), "10001");

    // The table scrolls with the page, not as a box inside it.
    assert.equal(await table.evaluate((el) => getComputedStyle(el).overflowY), "visible");
    assert.ok(await table.evaluate((el) => el.scrollHeight <= el.clientHeight + 1), "no scrolling inside the table");
    // Scroll the page to the end: the last row is there, at its index.
    await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
    await page.locator('[data-testid="credential-row"][aria-rowindex="10001"]').waitFor();
    assert.equal(
      await page.locator('[data-testid="credential-row"][aria-rowindex="10001"]').getAttribute("data-key"),
      "key-09999",
    );

    // Filter and search, timed from the change to the count line updating and to the next painted frame.
    const search = await timedChange(page, "#board-search", "app 042");
    const matching = many.filter((c) => {
      const text = [c.registrationName, c.registration, c.clientId, c.kind, c.keyId, c.label ?? "", ...c.accounts]
        .join("\n")
        .toLowerCase();
      return text.includes("app") && text.includes("042");
    }).length;
    assert.ok(matching >= 25);
    assert.equal(await page.getByTestId("board-count").textContent(), `Showing ${matching} of 10,000`);
    assert.equal(await rows(page).first().getAttribute("aria-rowindex"), "2", "a new filter starts at the top");
    const narrow = await timedChange(page, "#board-search", "key-09999");
    assert.equal(await page.getByTestId("board-count").textContent(), "Showing 1 of 10,000");
    const clear = await timedChange(page, "#board-search", "");
    const state = await timedChange(page, "#board-state", "attention");
    const attention = many.filter((c) => ["expired", "within-7", "within-14", "within-30"].includes(c.state)).length;
    assert.equal(
      await page.getByTestId("board-count").textContent(),
      `Showing ${attention.toLocaleString("en-GB")} of 10,000`,
    );
    const figures = { renderMs, search, narrow, clear, state };
    const line = Object.entries(figures)
      .map(([k, v]) => (typeof v === "number" ? `${k} ${v} ms` : `${k} ${v.updated.toFixed(1)} ms (painted ${v.painted.toFixed(1)} ms)`))
      .join(", ");
    t.diagnostic(`10,000 rows: ${line}`);
    console.log(`# board with 10,000 rows: ${line}`);
    // The figures are reported, not judged here: how fast is bench/desktop.sh's question (ui/e2e/board-bench.mjs).
    assert.deepEqual(await harness.axeViolations(page), []);
    assert.deepEqual(consoleErrors, []);
    await harness.screenshot(page, "ui-secrets-board-10000.png");
    await context.close();
  });

  it("scrolls from the keyboard, with the page (the header row stays in view)", async () => {
    const { page, context } = await harness.open(fixture(bigBoard()));
    await openBoard(page);
    await rows(page).first().waitFor();
    // Out of the search field, the keys scroll the page, and the table with it.
    await page.getByTestId("board-count").click();
    await page.keyboard.press("PageDown");
    await page.keyboard.press("PageDown");
    await page.waitForFunction(() => window.scrollY > 0);
    const head = page.getByTestId("credential-table").getByRole("rowgroup").first();
    // End scrolls (smoothly) to the last row; under load a smooth scroll can be cut short, so press again.
    const last = page.locator('[data-testid="credential-row"][aria-rowindex="10001"]');
    for (let attempt = 0; attempt < 3 && !(await last.count()); attempt++) {
      await page.keyboard.press("End");
      await last.waitFor({ timeout: 5000 }).catch(() => {});
    }
    assert.equal(await last.count(), 1, "End reaches the last row");
    const top = await head.evaluate((el) => el.getBoundingClientRect().top);
    assert.ok(top >= -1 && top < 5, `the header row sticks to the top of the window (${top})`);
    await context.close();
  });

  it("reads well in dark mode and at 800×600", async () => {
    for (const [options, shot] of /** @type {const} */ ([
      [{ colorScheme: "dark" }, "ui-secrets-board-dark.png"],
      [{ width: 800, height: 600 }, "ui-secrets-board-800x600.png"],
      [{ width: 800, height: 600, colorScheme: "dark" }, "ui-secrets-board-dark-800x600.png"],
    ])) {
      const { page, context } = await harness.open(fixture(board), options);
      await openBoard(page);
      await rows(page).first().waitFor();
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
      assert.equal(overflow, false, `${shot}: no horizontal scrolling`);
      assert.ok(await rows(page).first().isVisible());
      assert.deepEqual(await harness.axeViolations(page), [], shot);
      await harness.screenshot(page, shot);
      await context.close();
    }
  });

  it("offers Replace… on the client secrets Mailgrant signs in with, and reloads the board after it", async () => {
    const rowsWithImports = soonestFirst([...board, ...imported]);
    const f = fixture(rowsWithImports);
    const contoso = board[1];
    /** @type {import("./mocks").Rule[]} */
    const rules = [
      {
        cmd: "replace_client_secret",
        args: { registration: contoso.registration },
        // An app for any organisation: no one tenant to ask, so Microsoft checks it at the next sign-in.
        response: { registration: contoso.registration, registrationName: "Contoso mail", verified: false, replaced: ["Qx7"] },
      },
    ];
    const { page, context, consoleErrors } = await harness.open({ ...f, rules });
    await openBoard(page);
    await rows(page).first().waitFor();
    /** @param {string} key */
    const row = (key) => page.locator(`[data-testid="credential-row"][data-key="${key}"]`);
    for (const c of rowsWithImports) {
      const expected = c.kind === "secret" && c.source !== "directory" ? 1 : 0;
      assert.equal(await row(c.keyId).getByTestId("replace-secret").count(), expected, `${c.registrationName} ${c.kind} ${c.source}`);
    }
    const replace = row(contoso.keyId).getByRole("button", { name: "Replace… the client secret of Contoso mail" });
    await replace.click();
    const dialog = page.getByRole("dialog", { name: "Replace the client secret of Contoso mail" });
    await dialog.waitFor();
    assert.match(
      (await dialog.getByRole("link", { name: "Open Certificates & secrets in Entra" }).getAttribute("href")) ?? "",
      new RegExp(`/Credentials/appId/${contoso.clientId}$`),
    );
    await dialog.getByLabel("New client secret Value").fill(SECRET_VALUE);
    await dialog.locator("#replace-secret-msg").getByText("Looks right.").waitFor();
    const before = await page.evaluate(() => window.__MAILGRANT_CALLS__.filter((c) => c.cmd === "list_credentials").length);
    await dialog.getByTestId("replace-secret-submit").click();
    const done = dialog.getByTestId("replace-secret-done");
    await done.waitFor();
    const text = ((await done.textContent()) ?? "").replace(/\s+/g, " ");
    assert.match(text, /Replaced: Contoso mail signs in with the new secret\. /, "not checked with Microsoft: no parenthesis");
    assert.match(text, /Microsoft checks the secret the next time the app signs in/);
    const sent = await page.evaluate(() =>
      window.__MAILGRANT_CALLS__.filter((c) => c.cmd === "replace_client_secret").map((c) => c.args),
    );
    assert.deepEqual(sent, [{ registration: contoso.registration, value: SECRET_VALUE, expires: null }]);
    await page.waitForFunction(
      (n) => window.__MAILGRANT_CALLS__.filter((c) => c.cmd === "list_credentials").length > n,
      before,
    );
    assert.deepEqual(await harness.axeViolations(page), []);
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "hidden" });
    assert.deepEqual(consoleErrors, []);
    await context.close();
  });

  it("says so when the list cannot be read, and tries again", async () => {
    const { page, context } = await harness.open({
      responses: { app_info: defaultAppInfo, account_views: [], list_imports: [], import_sources: sources },
      errors: { list_credentials: { code: "config", message: "the config file is damaged" } },
    });
    await openBoard(page);
    await page.getByText("Could not read the app registrations: the config file is damaged").waitFor();
    await page.evaluate((credentials) => {
      const f = /** @type {any} */ (window).__MAILGRANT_FIXTURE__;
      delete f.errors.list_credentials;
      f.responses.list_credentials = credentials;
    }, board);
    await page.getByRole("button", { name: "Try again" }).click();
    await rows(page).first().waitFor();
    assert.equal(await rows(page).count(), 6);
    await context.close();
  });
});

describe("importing the organisation's app registrations from Microsoft Graph", () => {
  /** @param {import("playwright-core").Page} page */
  const dialog = (page) => page.getByTestId("import-dialog");
  const admin90094 = {
    code: "sign-in",
    message: "AADSTS90094: An admin has to approve this app",
    diagnosis: {
      code: "AADSTS90094",
      title: "An admin has to approve this app",
      explanation:
        "Your organisation lets only administrators approve apps that ask for these permissions, so you can't agree to them yourself.",
      fixer: "it-admin",
      steps: ["Your IT admin opens the link and clicks Grant admin consent.", "After that, sign in again."],
      links: [{ label: "Enterprise applications", url: "https://entra.microsoft.com/#view/Enterprise" }],
      retryable: false,
      remedy: "sign-in-again",
      raw: { aadsts: 90094, error: "access_denied", errorDescription: "AADSTS90094: The grant requires admin permission." },
    },
  };

  it("an admin signs in in the browser, can cancel, and the imported rows join the board", async () => {
    const f = fixture(board);
    const browserEvent = { kind: "browser", url: "https://login.microsoftonline.com/authorize?x", opened: true, paste: false };
    /** @type {any} */ (f).rules = [
      { cmd: "import_directory", times: 1, events: [browserEvent], hold: true },
      { cmd: "import_directory", args: { registration: "desktop", method: "browser" }, events: [browserEvent], response: importView() },
      { cmd: "list_credentials", times: 1, response: board },
    ];
    // After the import, Graph's list of Northwind's app lacks the secret Mailgrant has: deleted in Entra.
    const gone = board.map((r) => (r.keyId === "northwind-key" ? { ...r, missingInDirectory: true, tenant: "contoso.example" } : r));
    f.responses.list_credentials = soonestFirst([...imported, ...gone]);
    const { page, context, consoleErrors } = await harness.open(f);
    await openBoard(page);
    await rows(page).first().waitFor();
    const panel = page.getByTestId("directory-panel");
    assert.match((await panel.textContent()) ?? "", /An admin can add every app registration/);
    await panel.getByRole("button", { name: "Import from Microsoft Graph…" }).click();
    await dialog(page).getByText("Application.Read.All").first().waitFor();
    // The app-only way is offered only for a registration that can read as itself.
    const appOnly = dialog(page).getByRole("radio", { name: /As the app itself/ });
    assert.equal(await appOnly.isDisabled(), true);
    await dialog(page).getByLabel("Read through the app registration").selectOption("service");
    assert.equal(await appOnly.isDisabled(), false);
    await dialog(page).getByLabel("Read through the app registration").selectOption("desktop");
    assert.deepEqual(await harness.axeViolations(page), []);
    await harness.screenshot(page, "ui-import-dialog.png");

    // First try: the browser opens; the user cancels.
    await dialog(page).getByRole("button", { name: "Import" }).click();
    await dialog(page).getByText("Sign in there with an admin account of the organisation").waitFor();
    assert.deepEqual(await harness.axeViolations(page), []);
    await dialog(page).getByRole("button", { name: "Cancel sign-in" }).click();
    await dialog(page).getByText("The import was cancelled.").waitFor();

    // Second try: done; the board reloads with the organisation's rows.
    await dialog(page).getByRole("button", { name: "Import" }).click();
    await page.getByTestId("import-done").waitFor();
    assert.match(
      (await page.getByTestId("import-done").textContent()) ?? "",
      /Read 214 app registrations with 388 secrets and certificates from contoso\.example\./,
    );
    await dialog(page).getByRole("button", { name: "Close" }).first().click();
    await page.getByTestId("directory-import").waitFor();
    assert.match(
      await textOf(page.getByTestId("directory-import")),
      /contoso\.example.*214 app registrations, 388 secrets and certificates · signed in as it@contoso\.example · read 3 hours ago/s,
    );
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="credential-row"]').length === 8);
    assert.equal(await rowKeys(page).then((k) => k[0]), "intranet-portal-key");
    assert.match((await rows(page).first().textContent()) ?? "", /No account here.*From Graph · contoso\.example/s);
    await page.getByLabel("Search").fill("microsoft graph");
    assert.deepEqual(await rowKeys(page), ["intranet-portal-key", "payroll-sync-key"]);
    await page.getByLabel("Search").fill("not in entra");
    assert.deepEqual(await rowKeys(page), ["northwind-key"]);
    assert.equal(await rows(page).first().getByTestId("missing-in-directory").textContent().then((t) => t?.trim()), "Not in Entra's list");
    const calls = await page.evaluate(() => window.__MAILGRANT_CALLS__.filter((c) => c.cmd === "import_directory").length);
    assert.equal(calls, 2);
    assert.deepEqual(consoleErrors, []);
    await context.close();
  });

  it("shows Microsoft's refusal explained, and a device code for an admin elsewhere", async () => {
    const f = fixture(board);
    /** @type {any} */ (f).rules = [
      { cmd: "import_directory", args: { method: "browser" }, error: admin90094 },
      {
        cmd: "import_directory",
        args: { method: "device-code" },
        events: [{ kind: "deviceCode", userCode: "GKX7-PLQ2", verificationUri: "https://microsoft.com/devicelogin", expiresInSecs: 900 }],
        hold: true,
      },
    ];
    const { page, context } = await harness.open(f);
    await openBoard(page);
    await page.getByRole("button", { name: "Import from Microsoft Graph…" }).click();
    await dialog(page).getByRole("button", { name: "Import" }).click();
    const diagnosis = dialog(page).getByTestId("diagnosis");
    await diagnosis.waitFor();
    assert.equal(await diagnosis.getAttribute("data-code"), "AADSTS90094");
    assert.match((await diagnosis.textContent()) ?? "", /An admin has to approve this app/);
    assert.ok(await dialog(page).getByRole("button", { name: "Try again" }).isVisible());
    assert.deepEqual(await harness.axeViolations(page), []);
    await harness.screenshot(page, "ui-import-refused.png");

    await dialog(page).getByRole("radio", { name: /An admin signs in with a code/ }).check();
    await dialog(page).getByRole("button", { name: "Try again" }).click();
    await dialog(page).getByTestId("device-code").waitFor();
    assert.equal(await dialog(page).getByTestId("device-code").textContent(), "GKX7-PLQ2");
    // Closing the dialog cancels the sign-in.
    await page.keyboard.press("Escape");
    await page.waitForFunction(() => window.__MAILGRANT_CALLS__.some((c) => c.cmd === "cancel_sign_in"));
    assert.equal(await page.evaluate(() => window.__MAILGRANT_MOCK__.holding("import_directory")), false);
    await context.close();
  });

  it("refreshes an import, asks for a new sign-in when its consent is gone, and forgets it", async () => {
    const failing = importView({
      id: "desktop@fabrikam",
      tenant: "fabrikam.example",
      signedInAs: "admin@fabrikam.example",
      lastFailure: { code: "AADSTS65001", title: "Consent was withdrawn", at: NOW - 60, signInAgain: true, remedy: "sign-in-again" },
    });
    const f = fixture(soonestFirst([...imported, ...board]), [importView(), failing]);
    /** @type {any} */ (f.responses).remove_import = null;
    /** @type {any} */ (f).rules = [
      { cmd: "refresh_import", response: importView({ applications: 215, importedAt: NOW }), delayMs: 300 },
    ];
    for (const [options, shot] of /** @type {const} */ ([
      [{ colorScheme: "dark" }, "ui-directory-imports-dark.png"],
      [{ width: 800, height: 600 }, "ui-directory-imports-800x600.png"],
    ])) {
      const { page, context } = await harness.open(f, options);
      await openBoard(page);
      const items = page.getByTestId("directory-import");
      await items.nth(1).waitFor();
      assert.match(await textOf(items.nth(1)), /Needs sign-in: Consent was withdrawn/);
      assert.ok(await items.nth(1).getByRole("button", { name: "Sign in again" }).isVisible());
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
      assert.equal(overflow, false, `${shot}: no horizontal scrolling`);
      assert.deepEqual(await harness.axeViolations(page), [], shot);
      await harness.screenshot(page, shot);
      await context.close();
    }
    const { page, context } = await harness.open(f);
    await openBoard(page);
    const items = page.getByTestId("directory-import");
    await items.first().waitFor();
    await items.first().getByRole("button", { name: "Refresh" }).click();
    await items.first().getByRole("button", { name: "Refreshing…" }).waitFor();
    await page.getByText("contoso.example: read 215 app registrations again.").waitFor();
    // Sign in again opens the dialog on that import's registration.
    await items.nth(1).getByRole("button", { name: "Sign in again" }).click();
    assert.equal(await dialog(page).getByLabel("Read through the app registration").inputValue(), "desktop");
    await dialog(page).getByRole("button", { name: "Close" }).first().click();
    await items.nth(1).getByRole("button", { name: "Forget the import from fabrikam.example" }).click();
    await page.getByText("Forgot the import from fabrikam.example and its sign-in.").waitFor();
    assert.equal(await items.count(), 1);
    const listed = await page.evaluate(() => window.__MAILGRANT_CALLS__.filter((c) => c.cmd === "list_credentials").length);
    assert.ok(listed >= 3, "the board reloaded after the refresh and the removal");
    await context.close();
  });

  it("updates live when the app's background loop reads an import again", async () => {
    const { page, context } = await openControlled(harness, fixture(board, [importView()]));
    await openBoard(page);
    await rows(page).first().waitFor();
    await page.getByTestId("directory-import").waitFor();
    await control(page, "respond", "list_credentials", soonestFirst([...imported, ...board]));
    await control(page, "respond", "list_imports", [importView({ applications: 215, credentials: 390 })]);
    await control(page, "event", "accounts-changed");
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="credential-row"]').length === 8);
    await page.getByText("215 app registrations, 390 secrets and certificates").waitFor();
    await context.close();
  });
});
