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
   * `response`, a new `sign_in` or `import_directory` rejects it with `{ code: "cancelled" }` (Rust keeps one
   * sign-in in progress), and `window.__MAILGRANT_MOCK__.settle(cmd)` does either from the test.
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

// ------------------------------------------------------------------------------------------------ computed answers
// Commands whose answer depends on their arguments, answered as Rust does (a simple version of its rules) when the
// fixture has no answer for them.

const WHOLE_ADDRESS = "Write the whole address, starting with https://.";

/** As mailgrant-core's check_base_url: an https:// address (http:// only on this computer), no trailing slash. */
function baseUrl(text: string): { ok: string } | { problem: string } {
  const t = text.trim();
  const match = /^(https?):\/\/([^/\s?#]+)/i.exec(t);
  if (!match) return { problem: WHOLE_ADDRESS };
  const local = /^(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/i.test(match[2]);
  if (match[1].toLowerCase() === "http" && !local) {
    return {
      problem:
        "Use an https:// address: client secrets and tokens would cross the network unencrypted (only an address on this computer may use http://).",
    };
  }
  return { ok: t.replace(/\/+$/, "") };
}

/** As check_host_port: "host:port", IPv6 in brackets. */
function hostPort(text: string): { ok: { host: string; port: number } } | { problem: string } {
  const match = /^(?:\[([^\]\s]+)\]|([^\s:/[\]]+)):(\d+)$/.exec(text.trim());
  if (!match) return { problem: "Write it as host:port, e.g. outlook.office365.com:993." };
  const port = Number(match[3]);
  if (port < 1 || port > 65535) return { problem: "The port is a number from 1 to 65535." };
  return { ok: { host: match[1] ?? match[2], port } };
}

/** As check_custom_cloud: every problem by field, or the cloud. */
function checkCloud(fields: Record<string, string>): { cloud: unknown; problems: Record<string, string> } {
  const problems: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  for (const key of ["authority", "graph", "graphResource", "outlookResource"]) {
    const optional = key.endsWith("Resource");
    const text = fields[key] ?? "";
    if (optional && text.trim() === "") {
      values[key] = null;
      continue;
    }
    const checked = baseUrl(text);
    if ("ok" in checked) values[key] = checked.ok;
    else problems[key] = text.trim() === "" ? "Required." : checked.problem;
  }
  for (const key of ["imap", "pop", "smtp"]) {
    const text = fields[key] ?? "";
    const checked = hostPort(text);
    if ("ok" in checked) values[key] = checked.ok;
    else problems[key] = text.trim() === "" ? "Required: host:port." : checked.problem;
  }
  if (Object.keys(problems).length > 0) return { cloud: null, problems };
  const cloud = {
    kind: "custom",
    authority: values.authority,
    graph: values.graph,
    graph_resource: values.graphResource,
    outlook_resource: values.outlookResource ?? "https://outlook.office.com",
    imap: values.imap,
    pop: values.pop,
    smtp: values.smtp,
  };
  return { cloud, problems };
}

/** As health::csv_field: RFC 4180 quoting, formulas defused, a plain number left alone. */
function csvField(text: string): string {
  const number = /^-?\d+(\.\d+)?$/.test(text);
  const defused = !number && /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(defused) ? `"${defused.replaceAll('"', '""')}"` : defused;
}

const EXPIRY_WORDS: Record<string, string> = {
  expired: "expired",
  "within-7": "within 7 days",
  "within-14": "within 14 days",
  "within-30": "within 30 days",
  ok: "ok",
  "no-expiry": "no expiry",
};

/** As health::credentials_csv: the columns of `mailgrant secrets --csv`, CRLF line ends. */
function credentialsCsv(rows: Record<string, any>[]): string {
  const lines = ["registration,client_id,kind,label,hint,key_id,expires,days_left,state,accounts,source,tenant"];
  for (const r of rows) {
    const expires = r.expiresAt === null ? "" : new Date(r.expiresAt * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
    const fields = [
      r.registrationName,
      r.clientId,
      r.kind === "certificate" ? "certificate" : "client secret",
      r.label ?? "",
      r.hint ?? "",
      r.keyId,
      expires,
      r.daysLeft === null ? "" : String(r.daysLeft),
      EXPIRY_WORDS[r.state] ?? r.state,
      r.accounts.join("; "),
      r.source,
      r.tenant ?? "",
    ];
    lines.push(fields.map(csvField).join(","));
  }
  return lines.join("\r\n") + "\r\n";
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** As setup::check_client_secret: a Secret ID, spaces or a Value cut short are found; else the Value, trimmed. */
function checkClientSecret(text: string): Record<string, unknown> {
  const t = text.trim();
  if (t === "") return { verdict: "problem", message: "Paste the secret's Value (the Value column, shown only right after you create it)." };
  if (GUID.test(t)) {
    return {
      verdict: "warning",
      value: t,
      message:
        "This looks like the Secret ID, not the secret's Value. In Certificates & secrets, copy the Value column. If the Value is hidden now, create a new secret and copy its Value right away.",
    };
  }
  if (/\s/.test(t)) return { verdict: "problem", message: "A secret's Value has no spaces: copy it again with the copy button next to it." };
  if (t.length < 16) {
    return {
      verdict: "warning",
      value: t,
      message: "This is shorter than the secrets Entra creates (40 characters): check that all of it was copied.",
    };
  }
  return { verdict: "ok", value: t };
}

/** As api::wizard::check_field, for the client secret (the other fields: fine as typed). */
function checkField(args: { field: string; value: string }): unknown {
  return args.field === "clientSecret" ? checkClientSecret(args.value) : { verdict: "ok", value: args.value.trim() };
}

/**
 * As api::accounts::replace_secret when Microsoft accepts the Value: anything its check does not call right is
 * refused before anything is asked. (What Microsoft refuses, a test answers with a rule.)
 */
function replaceClientSecret(args: { registration: string; value: string; expires: string | null }): unknown {
  const check = checkClientSecret(args.value);
  if (check.verdict !== "ok") {
    throw { code: "bad-secret", message: `the new client secret: ${check.message}`, diagnosis: null };
  }
  if (args.expires !== null && !/^\d{4}-\d{2}-\d{2}$/.test(args.expires)) {
    throw { code: "bad-date", message: `the expiry date: ${JSON.stringify(args.expires)} is not a date`, diagnosis: null };
  }
  return { registration: args.registration, registrationName: args.registration, verified: true, replaced: [] };
}

const COMPUTED: Record<string, (args: any) => unknown> = {
  check_cloud: (args) => checkCloud(args.fields),
  check_field: (args) => checkField(args),
  credentials_csv: (args) => credentialsCsv(args.rows),
  replace_client_secret: (args) => replaceClientSecret(args),
};

// ------------------------------------------------------------------------------------------------ the mock

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
const SIGN_INS = ["sign_in", "import_directory"];
const CANCELLED = { code: "cancelled", message: "The sign-in was cancelled.", diagnosis: null };
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
      const h = held.find((x) => SIGN_INS.includes(x.cmd));
      const answer = fixture.rules?.find((r) => r.cmd === cmd && matches(r.args, args));
      if (answer?.error !== undefined) throw answer.error;
      if (cmd === "cancel_sign_in") {
        if (h) release(h, { error: CANCELLED });
        return Boolean(h);
      }
      if (!h) throw { code: "no-sign-in", message: "No sign-in is waiting for an address: start it again." };
      release(h, {});
      return null;
    }

    // Rust keeps one sign-in in progress: a new one cancels the one held.
    if (SIGN_INS.includes(cmd)) {
      for (const h of held.filter((x) => SIGN_INS.includes(x.cmd))) release(h, { error: CANCELLED });
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
      if (cmd in COMPUTED) return COMPUTED[cmd](args);
      throw { code: "unexpected", message: `no mock for command ${cmd}` };
    } finally {
      if (channels.ids.length > 0) end(channels);
    }
  },
  { shouldMockEvents: true },
);
