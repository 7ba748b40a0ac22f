// How long the client-secret board takes to filter 10,000 rows, in Debian's Chromium with the IPC mocked.
// Not a test: it prints figures. Run after `npm run build` and `npm run build:mocks`:
//   node e2e/board-bench.mjs [rows] [rounds]
import { defaultAppInfo, startHarness } from "./harness.mjs";

const ROWS = Number(process.argv[2] ?? 10_000);
const ROUNDS = Number(process.argv[3] ?? 15);
const NOW = Math.floor(Date.now() / 1000);
const DAY = 86_400;

/** @param {number} expiresAt */
function stateAt(expiresAt) {
  const left = expiresAt - NOW;
  if (left <= 0) return "expired";
  if (left <= 7 * DAY) return "within-7";
  if (left <= 14 * DAY) return "within-14";
  if (left <= 30 * DAY) return "within-30";
  return "ok";
}

const credentials = Array.from({ length: ROWS }, (_, i) => {
  const expiresAt = NOW + (-30 + Math.floor((i * 730) / ROWS)) * DAY + 3600;
  const app = `App ${String(i % 400).padStart(3, "0")}`;
  return {
    registration: app.toLowerCase().replace(" ", "-"),
    registrationName: app,
    clientId: "6731de76-14a6-49ae-97bc-6eba6914391e",
    kind: i % 5 === 0 ? "certificate" : "secret",
    keyId: `key-${String(i).padStart(5, "0")}`,
    label: i % 3 === 0 ? `Secret ${i}` : null,
    hint: null,
    expiresAt,
    daysLeft: Math.floor((expiresAt - NOW) / DAY),
    state: stateAt(expiresAt),
    accounts: [`user${i % 250}@contoso.example`],
    source: i % 2 === 0 ? "mailgrant" : "directory",
    tenant: i % 2 === 0 ? null : "contoso.example",
    missingInDirectory: false,
  };
});

/** @param {number[]} xs */
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
/** @param {number[]} xs */
const p95 = (xs) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(xs.length * 0.95) - 1)];

const harness = await startHarness();
try {
  const { page, context } = await harness.open({
    responses: { app_info: defaultAppInfo, account_views: [], list_credentials: credentials, list_imports: [], import_sources: [] },
  });
  const opened = Date.now();
  await page.getByRole("button", { name: "Check client-secret expiry" }).click();
  await page.getByTestId("credential-row").first().waitFor();
  const renderMs = Date.now() - opened;

  const changes = [
    ["#board-search", "app 042"],
    ["#board-search", "key-09999"],
    ["#board-search", "user7@"],
    ["#board-search", ""],
    ["#board-state", "attention"],
    ["#board-state", "ok"],
    ["#board-state", "all"],
  ];
  /** @type {Record<string, { updated: number[], painted: number[] }>} */
  const results = {};
  for (let round = 0; round < ROUNDS; round++) {
    for (const [selector, value] of changes) {
      const r = await page.evaluate(
        async ([sel, val]) => {
          const control = /** @type {HTMLInputElement | HTMLSelectElement} */ (document.querySelector(sel));
          const count = /** @type {HTMLElement} */ (document.querySelector('[data-testid="board-count"]'));
          const before = count.textContent;
          const started = performance.now();
          control.value = val;
          control.dispatchEvent(new Event(control.tagName === "SELECT" ? "change" : "input", { bubbles: true }));
          // Resolves in the microtask in which the count changes (the update may also come in a later task),
          // and fails instead of hanging if it never does.
          await new Promise((done, fail) => {
            if (count.textContent !== before) return done(undefined);
            const timer = setTimeout(() => {
              observer.disconnect();
              fail(new Error(`${sel} = ${JSON.stringify(val)}: the board count stayed "${before}" for 10 s`));
            }, 10_000);
            const observer = new MutationObserver(() => {
              if (count.textContent === before) return;
              observer.disconnect();
              clearTimeout(timer);
              done(undefined);
            });
            observer.observe(count, { childList: true, characterData: true, subtree: true });
          });
          const updated = performance.now() - started;
          await new Promise((done) => requestAnimationFrame(() => setTimeout(done, 0)));
          return { updated, painted: performance.now() - started };
        },
        [selector, value],
      );
      const key = `${selector === "#board-search" ? "search" : "show"} ${JSON.stringify(value)}`;
      results[key] ??= { updated: [], painted: [] };
      results[key].updated.push(r.updated);
      results[key].painted.push(r.painted);
    }
  }
  console.log(`client-secret board, ${ROWS.toLocaleString("en-GB")} rows, ${ROUNDS} rounds`);
  console.log(`  first render (click → first row): ${renderMs} ms`);
  console.log("  change                       DOM updated (median / p95)   next frame (median / p95)");
  for (const [key, { updated, painted }] of Object.entries(results)) {
    console.log(
      `  ${key.padEnd(28)} ${median(updated).toFixed(1).padStart(7)} / ${p95(updated).toFixed(1).padStart(6)} ms` +
        `        ${median(painted).toFixed(1).padStart(7)} / ${p95(painted).toFixed(1).padStart(6)} ms`,
    );
  }
  const allUpdated = Object.values(results).flatMap((r) => r.updated);
  const allPainted = Object.values(results).flatMap((r) => r.painted);
  // One line for bench/desktop.sh to parse: every filter and search change together.
  console.log(
    `  all ${allUpdated.length} changes: DOM updated median ${median(allUpdated).toFixed(1)} ms, p95 ${p95(allUpdated).toFixed(1)} ms;` +
      ` next frame median ${median(allPainted).toFixed(1)} ms, p95 ${p95(allPainted).toFixed(1)} ms`,
  );
  await context.close();
} finally {
  await harness.close();
}
