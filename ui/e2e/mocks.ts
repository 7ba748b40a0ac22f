// Injected into the page before the app loads (Playwright `addInitScript`): replaces the Tauri transport with
// `mockIPC`, answering each command from the fixture the test put on `window.__MAILGRANT_FIXTURE__`.
//
// Channels: a command argument that is a `Channel` reaches the mock as the Channel object itself; the real runtime
// receives it as the string `__CHANNEL__:<id>` and sends each message by evaluating
// `window.__TAURI_INTERNALS__.runCallback(id, { message, index })`, then `{ end: true, index }` when the Rust
// side drops the channel (after the command returns). The mock does exactly that, so the app's `Channel` code
// (ordering by index, clean-up at the end) runs as it does in the app.
import { mockIPC } from "@tauri-apps/api/mocks";

/** An answer for calls whose arguments match: first matching rule wins, before `responses`/`errors`. */
export interface Rule {
  cmd: string;
  /** Matches when the call's arguments contain these (objects compared key by key, so a part of a draft will do). */
  args?: Record<string, unknown>;
  response?: unknown;
  error?: unknown;
  /** Messages sent on the call's channel before it settles. */
  events?: unknown[];
  /** Waits before each message, in ms. */
  eventGapMs?: number;
  /** Waits before settling (after the messages), in ms. */
  delayMs?: number;
  /**
   * Stays pending until the test (or the app) settles it: `cancel_sign_in` rejects a held call with
   * `{ code: "cancelled" }`, `submit_sign_in_address` resolves a held `sign_in` (or `import_directory`) with
   * `response`, and
   * `window.__MAILGRANT_MOCK__.settle(cmd)` does either from the test.
   */
  hold?: boolean;
  /** How many calls it answers; unlimited when absent. */
  times?: number;
}

export interface Fixture {
  /** command name → the value it resolves with */
  responses: Record<string, unknown>;
  /** command name → the error object it rejects with */
  errors?: Record<string, unknown>;
  /** command name → messages for its channel argument, sent before it settles */
  events?: Record<string, unknown[]>;
  /** command name → ms to wait before settling */
  delays?: Record<string, number>;
  /** ms between channel messages (default 30) */
  eventGapMs?: number;
  rules?: Rule[];
}

/** A call's channels and how many messages they carried (the next message's index). */
interface Channels {
  ids: number[];
  sent: number;
}

interface Held {
  cmd: string;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  response: unknown;
  channels: Channels;
}

/** What a test can do from `page.evaluate`. */
export interface MockControl {
  /** Sends one more message on the channel of the command's latest call. */
  emit(cmd: string, message: unknown): void;
  /** Settles a held call: with `error` it rejects, else it resolves with `value` (or the rule's response). */
  settle(cmd: string, outcome?: { value?: unknown; error?: unknown }): boolean;
  /** Whether a call of `cmd` is held. */
  holding(cmd: string): boolean;
}

declare global {
  interface Window {
    __MAILGRANT_FIXTURE__?: Fixture;
    __MAILGRANT_CALLS__: { cmd: string; args: unknown }[];
    __MAILGRANT_MOCK__: MockControl;
    __TAURI_INTERNALS__: { runCallback: (id: number, data: unknown) => void };
  }
}

const CHANNEL_PREFIX = "__CHANNEL__:";

/** The arguments as Rust would receive them (Channels become `__CHANNEL__:<id>`). */
function serialised(args: unknown): unknown {
  return args === undefined ? undefined : JSON.parse(JSON.stringify(args));
}

function channelIds(args: unknown): number[] {
  if (!args || typeof args !== "object") return [];
  return Object.values(args as Record<string, unknown>)
    .filter((v): v is string => typeof v === "string" && v.startsWith(CHANNEL_PREFIX))
    .map((v) => Number(v.slice(CHANNEL_PREFIX.length)));
}

/** `expected` is a subset of `actual`: objects key by key (deep), anything else equal as JSON. */
function matches(expected: unknown, actual: unknown): boolean {
  if (expected === undefined) return true;
  if (expected && typeof expected === "object" && !Array.isArray(expected)) {
    if (!actual || typeof actual !== "object") return false;
    const given = actual as Record<string, unknown>;
    return Object.entries(expected).every(([key, value]) => matches(value, given[key]));
  }
  return JSON.stringify(expected) === JSON.stringify(actual);
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
const used = new Map<Rule, number>();
const held: Held[] = [];
const lastChannels = new Map<string, Channels>();

function send(channels: Channels, message: unknown) {
  for (const id of channels.ids) window.__TAURI_INTERNALS__.runCallback(id, { message, index: channels.sent });
  channels.sent += 1;
}

function end(channels: Channels) {
  // After the command settles, as when Rust drops the channel.
  setTimeout(() => {
    for (const id of channels.ids) window.__TAURI_INTERNALS__.runCallback(id, { end: true, index: channels.sent });
  }, 0);
}

function release(h: Held, outcome: { value?: unknown; error?: unknown }) {
  held.splice(held.indexOf(h), 1);
  if (outcome.error !== undefined) h.reject(outcome.error);
  else h.resolve(outcome.value !== undefined ? outcome.value : h.response);
  end(h.channels);
}

window.__MAILGRANT_CALLS__ = [];
window.__MAILGRANT_MOCK__ = {
  emit(cmd, message) {
    const last = lastChannels.get(cmd);
    if (last) send(last, message);
  },
  settle(cmd, outcome = {}) {
    const h = held.find((x) => x.cmd === cmd);
    if (!h) return false;
    release(h, outcome);
    return true;
  },
  holding(cmd) {
    return held.some((x) => x.cmd === cmd);
  },
};

mockIPC(
  async (cmd, rawArgs) => {
    const args = serialised(rawArgs);
    window.__MAILGRANT_CALLS__.push({ cmd, args });
    const fixture = window.__MAILGRANT_FIXTURE__ ?? { responses: {} };

    // The app ends a held sign-in the way Rust does.
    if (cmd === "cancel_sign_in" || cmd === "submit_sign_in_address") {
      const h = held.find((x) => x.cmd === "sign_in" || x.cmd === "import_directory");
      const answer = fixture.rules?.find((r) => r.cmd === cmd && matches(r.args, args));
      if (answer?.error !== undefined) throw answer.error;
      if (cmd === "cancel_sign_in") {
        if (h) release(h, { error: { code: "cancelled", message: "The sign-in was cancelled.", diagnosis: null } });
        return Boolean(h);
      }
      if (!h) throw { code: "no-sign-in", message: "No sign-in is waiting for an address: start it again." };
      release(h, {});
      return null;
    }

    const rule = fixture.rules?.find(
      (r) => r.cmd === cmd && matches(r.args, args) && (r.times === undefined || (used.get(r) ?? 0) < r.times),
    );
    if (rule) used.set(rule, (used.get(rule) ?? 0) + 1);

    const channels: Channels = { ids: channelIds(args), sent: 0 };
    lastChannels.set(cmd, channels);
    const events = rule?.events ?? fixture.events?.[cmd] ?? [];
    const gap = rule?.eventGapMs ?? fixture.eventGapMs ?? 30;
    for (const message of events) {
      await sleep(gap);
      send(channels, message);
    }
    const delay = rule?.delayMs ?? fixture.delays?.[cmd] ?? 0;
    if (delay > 0) await sleep(delay);

    const response = rule && "response" in rule ? rule.response : fixture.responses[cmd];
    const error = rule ? rule.error : fixture.errors?.[cmd];

    if (rule?.hold) {
      return new Promise((resolve, reject) => {
        held.push({ cmd, resolve, reject, response, channels });
      });
    }
    try {
      if (error !== undefined) throw error;
      if (rule && "response" in rule) return rule.response;
      if (cmd in fixture.responses) return fixture.responses[cmd];
      throw { code: "unexpected", message: `no mock for command ${cmd}` };
    } finally {
      if (channels.ids.length > 0) end(channels);
    }
  },
  { shouldMockEvents: true },
);
