// Test-side control over the mocked IPC, layered on top of e2e/mocks.ts without changing it: an init script that
// wraps `__TAURI_INTERNALS__.invoke` after the mocks installed it. It can hold calls until the test settles them,
// send messages on a held call's Channel, answer a command by one of its arguments, emit app events, and change
// the fixture's answers while the page runs.

/**
 * @typedef {{
 *   hold?: string[],
 *   byArg?: Record<string, { arg: string, table: Record<string, unknown> }>,
 * }} ControlConfig
 */

/** Runs in the page, after mocks.js. @param {ControlConfig} config */
function installControl(config) {
  const w = /** @type {any} */ (window);
  const internals = w.__TAURI_INTERNALS__;
  const inner = internals.invoke;
  /** @type {{ cmd: string, args: any, resolve: (v: unknown) => void, reject: (e: unknown) => void, sent: number }[]} */
  const held = [];
  const holding = new Set(config.hold ?? []);
  const byArg = config.byArg ?? {};
  const fixture = () => w.__MAILGRANT_FIXTURE__;
  const record = (/** @type {string} */ cmd, /** @type {unknown} */ args) =>
    w.__MAILGRANT_CALLS__.push({ cmd, args: args === undefined ? undefined : JSON.parse(JSON.stringify(args)) });

  function settle(/** @type {string} */ cmd, /** @type {{ value?: unknown, error?: unknown }} */ outcome) {
    const i = held.findIndex((h) => h.cmd === cmd);
    if (i < 0) return false;
    const [h] = held.splice(i, 1);
    if (outcome.error !== undefined) h.reject(outcome.error);
    else h.resolve(outcome.value !== undefined ? outcome.value : fixture().responses[cmd]);
    return true;
  }

  w.__CONTROL__ = {
    hold: (/** @type {string} */ cmd) => holding.add(cmd),
    release: (/** @type {string} */ cmd) => holding.delete(cmd),
    heldCount: (/** @type {string} */ cmd) => held.filter((h) => h.cmd === cmd).length,
    /** Sends `message` on the Channel argument `argName` of the latest held call of `cmd`. */
    emit(/** @type {string} */ cmd, /** @type {string} */ argName, /** @type {unknown} */ message) {
      const h = [...held].reverse().find((x) => x.cmd === cmd);
      if (!h) throw new Error(`no held ${cmd}`);
      internals.runCallback(h.args[argName].id, { index: h.sent, message });
      h.sent += 1;
    },
    settle,
    /** Emits an app event (the mocks route it to `listen` handlers). */
    event: (/** @type {string} */ name, /** @type {unknown} */ payload = null) =>
      inner("plugin:event|emit", { event: name, payload }),
    respond(/** @type {string} */ cmd, /** @type {unknown} */ value) {
      fixture().responses[cmd] = value;
      if (fixture().errors) delete fixture().errors[cmd];
    },
    fail(/** @type {string} */ cmd, /** @type {unknown} */ error) {
      fixture().errors ??= {};
      fixture().errors[cmd] = error;
    },
  };

  internals.invoke = (/** @type {string} */ cmd, /** @type {any} */ args, /** @type {unknown} */ options) => {
    // Rust keeps one sign-in in progress: a new one cancels the one held.
    if (cmd === "sign_in") {
      const cancelled = { code: "cancelled", message: "The sign-in was cancelled.", diagnosis: null };
      while (settle("sign_in", { error: cancelled })) {
        // every held one
      }
    }
    if (holding.has(cmd)) {
      record(cmd, args);
      return new Promise((resolve, reject) => held.push({ cmd, args, resolve, reject, sent: 0 }));
    }
    if (cmd === "cancel_sign_in" && held.some((h) => h.cmd === "sign_in")) {
      record(cmd, args);
      settle("sign_in", { error: { code: "cancelled", message: "The sign-in was cancelled.", diagnosis: null } });
      return Promise.resolve(true);
    }
    if (cmd === "submit_sign_in_address" && held.some((h) => h.cmd === "sign_in")) {
      record(cmd, args);
      setTimeout(() => settle("sign_in", {}), 50);
      return Promise.resolve(null);
    }
    const map = byArg[cmd];
    if (map) {
      record(cmd, args);
      const key = String(args?.[map.arg]);
      return key in map.table
        ? Promise.resolve(map.table[key])
        : Promise.reject({ code: "unexpected", message: `no mock for ${cmd} ${key}` });
    }
    return inner(cmd, args, options);
  };
}

/**
 * Opens the app like `harness.open`, then reloads it with the control installed (init scripts run in order, so the
 * control wraps the mocks).
 * @param {Awaited<ReturnType<typeof import("./harness.mjs").startHarness>>} harness
 * @param {import("./harness.mjs").Fixture} fixture
 * @param {{ colorScheme?: "light" | "dark", width?: number, height?: number }} [options]
 * @param {ControlConfig} [config]
 */
export async function openControlled(harness, fixture, options = {}, config = {}) {
  const opened = await harness.open(fixture, options);
  await opened.context.addInitScript(installControl, config);
  await opened.page.reload();
  opened.consoleErrors.length = 0;
  return opened;
}

/**
 * Calls a method of the in-page control.
 * @param {import("playwright-core").Page} page @param {string} method @param {...unknown} args
 */
export function control(page, method, ...args) {
  return page.evaluate(([m, a]) => /** @type {any} */ (window).__CONTROL__[/** @type {string} */ (m)](.../** @type {unknown[]} */ (a)), [method, args]);
}

/** The commands the app called, in order. @param {import("playwright-core").Page} page */
export function calls(page) {
  return page.evaluate(() => window.__MAILGRANT_CALLS__.map((c) => c.cmd));
}
