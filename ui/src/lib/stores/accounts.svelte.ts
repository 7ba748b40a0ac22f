// The accounts dashboard: every account as Rust describes it, what the user is doing to each one right now
// (refresh, test with live layers, sign-in with its browser or device-code step, forget), how that ended, and the
// last probe of each account (kept for the session). Rust's `accounts-changed` event reloads the list.
import {
  ipc as realIpc,
  type AccountHealth,
  type AccountView,
  type ConsentRevocation,
  type Diagnosis,
  type IpcError,
  type ProbeProgress,
  type ProbeReport,
} from "../ipc/client";
import type { AccountState } from "../ipc/bindings/AccountState";
import { formatDate, relativeTime, unixNow } from "../format/time";
import { signInsFor, type SignInOutcome, type SignInSession, type SignIns } from "./sign-in.svelte";

export const STATE_LABELS: Record<AccountState, string> = {
  working: "Working",
  "expiring-soon": "Expiring soon",
  "needs-sign-in": "Needs sign-in",
  failing: "Failing",
  "not-signed-in": "Not signed in",
};

/** The order the dashboard sorts by: what needs someone first. */
const URGENCY: Record<AccountState, number> = {
  "needs-sign-in": 0,
  failing: 1,
  "expiring-soon": 2,
  "not-signed-in": 3,
  working: 4,
};

export function sortByUrgency(views: readonly AccountView[]): AccountView[] {
  return [...views].sort(
    (a, b) => URGENCY[a.health.state] - URGENCY[b.health.state] || a.health.name.localeCompare(b.health.name),
  );
}

/** "3 accounts · 1 needs sign-in · 2 working" */
export function summarize(views: readonly AccountView[]): string {
  const counts = new Map<AccountState, number>();
  for (const v of views) counts.set(v.health.state, (counts.get(v.health.state) ?? 0) + 1);
  const parts = [`${views.length} ${views.length === 1 ? "account" : "accounts"}`];
  for (const state of Object.keys(URGENCY) as AccountState[]) {
    const n = counts.get(state);
    if (n) parts.push(`${n} ${STATE_LABELS[state].toLowerCase()}`);
  }
  return parts.join(" · ");
}

/** "Tokens are fresh." from Rust's "tokens are fresh". */
export function sentence(text: string): string {
  const trimmed = text.trim();
  if (!trimmed) return "";
  const first = trimmed[0].toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(first) ? first : `${first}.`;
}

/** When the user will next have to sign in, as far as Mailgrant can tell. */
export function signInForecast(view: AccountView, now: number): string {
  const h = view.health;
  // An app-only account never has a user sign in, whatever its state.
  if (view.flow === "client-credentials") {
    if (h.credentialExpiresAt === null) return "Never: the app signs in by itself, with no user.";
    return h.credentialExpiresAt <= now
      ? `No sign-in, but a new client secret: the app's expired on ${formatDate(h.credentialExpiresAt)}.`
      : `Never: the app signs in by itself, with no user, while its client secret is valid (until ${formatDate(h.credentialExpiresAt)}).`;
  }
  if (h.state === "not-signed-in") return "Sign in once to start; Mailgrant keeps the account signed in after that.";
  if (h.state === "needs-sign-in") return "Now: only a new sign-in brings this account back.";
  // Rust knows when Microsoft revokes a refresh token nothing used (and how long that takes).
  const limit = h.refreshInactiveAt;
  if (limit === null) return "Unknown: Mailgrant has not used the refresh token yet.";
  const days = `${h.refreshInactivityDays} days`;
  const latest = `If Mailgrant cannot refresh it, you will have to sign in again after ${formatDate(limit)}.`;
  if (h.keepAliveDueAt !== null && h.keepAliveDueAt < limit) {
    return h.keepAliveDueAt <= now
      ? `Not if Mailgrant runs soon: its keep-alive refresh is overdue and restarts the ${days} when it runs. ${latest}`
      : `Not expected: Mailgrant refreshes the token ${relativeTime(h.keepAliveDueAt, now)}, which restarts the ${days}. ${latest}`;
  }
  return latest;
}

/** What is running for an account now. */
export type Activity =
  | { kind: "refresh"; since: number }
  | { kind: "test"; since: number; layers: ProbeProgress[] }
  | { kind: "sign-in"; since: number; session: SignInSession<AccountHealth> }
  | { kind: "forget"; since: number };

export type ActionKind = Activity["kind"];

/** How the last action on an account ended. */
export interface Outcome {
  action: ActionKind;
  at: number;
  tone: "success" | "info" | "error";
  message: string;
  error: IpcError | null;
}

/** The last probe of an account: its reports, or why it could not run. */
export interface ProbeRun {
  at: number;
  reports: ProbeReport[] | null;
  error: IpcError | null;
}

/** An account just forgotten, with where to withdraw the consent it gave. */
export interface Forgotten {
  name: string;
  address: string;
  revocation: ConsentRevocation;
}

type AccountsIpc = Pick<
  typeof realIpc,
  | "accountViews"
  | "refreshAccount"
  | "testAccount"
  | "signIn"
  | "cancelSignIn"
  | "submitSignInAddress"
  | "removeAccount"
  | "explainCode"
  | "onAccountsChanged"
>;

/** What the card says about a sign-in that ended. */
function signInOutcome(outcome: SignInOutcome<AccountHealth>): Omit<Outcome, "at"> {
  switch (outcome.status) {
    case "done": {
      const health = outcome.value;
      const as = health.signedInAs ? ` as ${health.signedInAs}` : "";
      return { action: "sign-in", tone: "success", message: `Signed in${as}: ${health.reason}.`, error: null };
    }
    case "cancelled":
      return {
        action: "sign-in",
        tone: "info",
        message: outcome.superseded
          ? "Sign-in stopped: another sign-in started, and Mailgrant runs one at a time. Nothing changed."
          : "Sign-in cancelled. Nothing changed.",
        error: null,
      };
    case "failed":
      return { action: "sign-in", tone: "error", message: outcome.error.message, error: outcome.error };
  }
}

export class AccountsStore {
  #ipc: AccountsIpc;
  #signIns: SignIns;
  views = $state.raw<AccountView[]>([]);
  loaded = $state(false);
  loadError = $state.raw<IpcError | null>(null);
  activity = $state<Record<string, Activity>>({});
  outcomes = $state<Record<string, Outcome>>({});
  probes = $state<Record<string, ProbeRun>>({});
  forgotten = $state<Forgotten[]>([]);
  explanations = $state<Record<string, Diagnosis | null>>({});

  readonly sorted = $derived(sortByUrgency(this.views));
  readonly summary = $derived(summarize(this.views));
  /** The dashboard replaces the welcome screen while there is an account, or a forgotten one still to read. */
  readonly hasAny = $derived(this.views.length > 0 || this.forgotten.length > 0);

  #inFlight: Promise<void> | null = null;
  #again = false;
  /** Bumped when the user stops waiting, so a late answer is not shown as if it were current. */
  #generation = new Map<string, number>();
  #explaining = new Map<string, Promise<Diagnosis | null>>();

  /** `signIns`: the app's one sign-in at a time (for a fake IPC, its own). */
  constructor(ipc: AccountsIpc = realIpc, signIns: SignIns = signInsFor(ipc)) {
    this.#ipc = ipc;
    this.#signIns = signIns;
  }

  /** Reloads the list; calls while a load runs are folded into one more load after it. */
  load(): Promise<void> {
    if (this.#inFlight) {
      this.#again = true;
      return this.#inFlight;
    }
    this.#inFlight = (async () => {
      do {
        this.#again = false;
        try {
          this.views = await this.#ipc.accountViews();
          this.loadError = null;
        } catch (err) {
          this.loadError = err as IpcError;
        }
      } while (this.#again);
      this.loaded = true;
    })().finally(() => {
      this.#inFlight = null;
    });
    return this.#inFlight;
  }

  /** Something changed the list (the wizard saved an account): it is read again now, and until it is, the list is
   * not taken as known (home waits for it rather than show the welcome screen for an empty list that is out of
   * date). */
  invalidate(): Promise<void> {
    this.loaded = false;
    return this.load();
  }

  /** Reloads whenever the background refresh changes something; returns the unsubscribe. */
  async watch(): Promise<() => void> {
    try {
      return await this.#ipc.onAccountsChanged(() => void this.load());
    } catch {
      return () => {};
    }
  }

  view(name: string): AccountView | undefined {
    return this.views.find((v) => v.health.name === name);
  }

  busy(name: string): boolean {
    return name in this.activity;
  }

  #begin(name: string, activity: Activity): number {
    const generation = (this.#generation.get(name) ?? 0) + 1;
    this.#generation.set(name, generation);
    this.activity[name] = activity;
    delete this.outcomes[name];
    return generation;
  }

  #current(name: string, generation: number): boolean {
    return this.#generation.get(name) === generation;
  }

  #finish(name: string, generation: number, outcome: Omit<Outcome, "at">): void {
    if (!this.#current(name, generation)) return;
    delete this.activity[name];
    this.outcomes[name] = { ...outcome, at: unixNow() };
  }

  /** Gives up waiting for a refresh or test (Rust finishes it in the background; the card updates when it does). */
  stopWaiting(name: string): void {
    const activity = this.activity[name];
    if (!activity || activity.kind === "sign-in" || activity.kind === "forget") return;
    this.#generation.set(name, (this.#generation.get(name) ?? 0) + 1);
    delete this.activity[name];
    this.outcomes[name] = {
      action: activity.kind,
      at: unixNow(),
      tone: "info",
      message:
        activity.kind === "refresh"
          ? "Stopped waiting for the refresh. It may still finish in the background; this card updates when it does."
          : "Stopped waiting for the test. Its result is not shown.",
      error: null,
    };
  }

  async refresh(name: string): Promise<void> {
    if (this.busy(name)) return;
    const generation = this.#begin(name, { kind: "refresh", since: unixNow() });
    try {
      const health = await this.#ipc.refreshAccount(name);
      this.#finish(name, generation, {
        action: "refresh",
        tone: "success",
        message: `Refreshed: ${health.reason}.`,
        error: null,
      });
    } catch (err) {
      const error = err as IpcError;
      this.#finish(name, generation, { action: "refresh", tone: "error", message: error.message, error });
    }
    await this.load();
  }

  async test(name: string): Promise<void> {
    if (this.busy(name)) return;
    const activity: Activity = { kind: "test", since: unixNow(), layers: [] };
    const generation = this.#begin(name, activity);
    const onLayer = (progress: ProbeProgress) => {
      const current = this.activity[name];
      if (this.#current(name, generation) && current?.kind === "test") current.layers.push(progress);
    };
    try {
      const reports = await this.#ipc.testAccount(name, [], false, onLayer);
      if (!this.#current(name, generation)) return;
      this.probes[name] = { at: unixNow(), reports, error: null };
      const failed = reports.filter((r) => r.outcome.status === "failed").length;
      this.#finish(name, generation, {
        action: "test",
        tone: failed ? "error" : "success",
        message: failed
          ? `${failed} of ${reports.length} ${reports.length === 1 ? "test" : "tests"} failed.`
          : "Every test passed.",
        error: null,
      });
    } catch (err) {
      if (!this.#current(name, generation)) return;
      const error = err as IpcError;
      this.probes[name] = { at: unixNow(), reports: null, error };
      this.#finish(name, generation, { action: "test", tone: "error", message: error.message, error });
    }
    await this.load();
  }

  /** Signs the account in again; the card shows the sign-in's session (its events, Cancel, the pasted address). */
  async signIn(name: string): Promise<void> {
    if (this.busy(name)) return;
    const session = this.#signIns.start((onEvent) => this.#ipc.signIn(name, onEvent));
    const generation = this.#begin(name, { kind: "sign-in", since: session.since, session });
    this.#finish(name, generation, signInOutcome(await session.finished));
    await this.load();
  }

  async forget(name: string): Promise<boolean> {
    if (this.busy(name)) return false;
    const address = this.view(name)?.health.address ?? "";
    const generation = this.#begin(name, { kind: "forget", since: unixNow() });
    try {
      const revocation = await this.#ipc.removeAccount(name);
      delete this.activity[name];
      this.forgotten = [{ name, address, revocation }, ...this.forgotten.filter((f) => f.name !== name)];
      this.views = this.views.filter((v) => v.health.name !== name);
      delete this.probes[name];
      await this.load();
      return true;
    } catch (err) {
      const error = err as IpcError;
      this.#finish(name, generation, { action: "forget", tone: "error", message: error.message, error });
      return false;
    }
  }

  dismissForgotten(name: string): void {
    this.forgotten = this.forgotten.filter((f) => f.name !== name);
  }

  dismissOutcome(name: string): void {
    delete this.outcomes[name];
  }

  /** The whole explanation of a diagnosis code (cached; `null` when Rust does not know it). */
  explain(code: string): Promise<Diagnosis | null> {
    let pending = this.#explaining.get(code);
    if (!pending) {
      pending = this.#ipc.explainCode(code).then(
        (diagnosis) => {
          this.explanations[code] = diagnosis;
          return diagnosis;
        },
        () => {
          this.#explaining.delete(code);
          return null;
        },
      );
      this.#explaining.set(code, pending);
    }
    return pending;
  }
}

export const accounts = new AccountsStore();
