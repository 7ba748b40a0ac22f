// The mail bridge page ("Use it with a program that only knows passwords"), for one account: its user name and
// whether it has a bridge password (from Rust, never the password itself), a password just made (shown once: kept
// here only until the page closes or it is put away), and the bridge that runs while the app runs — its
// listeners, the sessions open now and the last errors, read again every few seconds while the page is open.
import {
  ipc as realIpc,
  toIpcError,
  type BoundListener,
  type BridgeAccount,
  type BridgeEvent,
  type BridgeProtocol,
  type BridgeView,
  type IpcError,
  type NewBridgePassword,
  type OpenSession,
} from "../ipc/client";
import { navigation as appNavigation, type Navigation } from "./navigation.svelte";

/** How a protocol is called on the page, and what it is for. */
export const PROTOCOL_LABELS: Record<BridgeProtocol, { name: string; role: string }> = {
  imap: { name: "IMAP", role: "Reading mail" },
  pop: { name: "POP", role: "Downloading mail" },
  smtp: { name: "SMTP", role: "Sending mail" },
};

/** The listeners for the account's protocols, in Rust's order. */
export function listenersFor(view: BridgeView | null, protocols: BridgeProtocol[]): BoundListener[] {
  return (view?.status.listeners ?? []).filter((l) => protocols.includes(l.protocol));
}

export type BridgeBusy = "start" | "stop" | "lan" | "password" | "revoke" | null;

type BridgeIpc = Pick<
  typeof realIpc,
  "bridgeAccount" | "newBridgePassword" | "revokeBridgePassword" | "startBridge" | "stopBridge" | "bridgeStatus"
>;

export interface Timers {
  setInterval: (fn: () => void, ms: number) => unknown;
  clearInterval: (id: unknown) => void;
}

const realTimers: Timers = {
  setInterval: (fn, ms) => setInterval(fn, ms),
  clearInterval: (id) => clearInterval(id as ReturnType<typeof setInterval>),
};

/** How often the page reads the bridge's status while it is open. */
export const POLL_MS = 3000;

export class BridgeStore {
  /** The account the page is for; null when it is not shown. */
  account = $state<string | null>(null);
  info = $state.raw<BridgeAccount | null>(null);
  /** The running bridge; null when it is off (or not read yet). */
  view = $state.raw<BridgeView | null>(null);
  loading = $state(false);
  /** Reading the account failed: the page cannot show it. */
  loadError = $state.raw<IpcError | null>(null);
  /** Reading the status failed (the last read): shown beside what was read before. */
  statusError = $state.raw<IpcError | null>(null);
  /** What the user just did failed. */
  actionError = $state.raw<{ action: Exclude<BridgeBusy, null>; error: IpcError } | null>(null);
  busy = $state<BridgeBusy>(null);
  /** A password just made: shown once, forgotten when put away or when the page closes. */
  newPassword = $state.raw<NewBridgePassword | null>(null);
  /** This computer's address on the network, for "Let devices on my network use it". */
  lanAddress = $state("");

  readonly running = $derived(this.view !== null);
  readonly lanMode = $derived(this.view?.fingerprint != null);
  readonly protocols = $derived<BridgeProtocol[]>(this.info?.protocols ?? []);
  readonly listeners = $derived(listenersFor(this.view, this.protocols));
  /** The account's sessions open now. */
  readonly sessions = $derived<OpenSession[]>(
    (this.view?.status.sessions ?? []).filter((s) => s.account === this.account),
  );
  /** The last errors about this account, or about a login that named no account Mailgrant has (a typo). */
  readonly errors = $derived<BridgeEvent[]>(
    (this.view?.status.lastErrors ?? []).filter((e) => e.account === null || e.account === this.account),
  );

  #ipc: BridgeIpc;
  #timers: Timers;
  /** Bumped by every show and close: an answer for an earlier page is dropped. */
  #seq = 0;

  constructor(ipc: BridgeIpc = realIpc, timers: Timers = realTimers) {
    this.#ipc = ipc;
    this.#timers = timers;
  }

  /** Opens the page for `account`: its bridge facts and the bridge's status. */
  show(account: string): Promise<void> {
    this.#seq++;
    this.account = account;
    this.info = null;
    this.newPassword = null;
    this.actionError = null;
    this.statusError = null;
    this.loadError = null;
    this.lanAddress = "";
    return this.#load();
  }

  retry(): Promise<void> {
    return this.account === null ? Promise.resolve() : this.#load();
  }

  /** Leaves the page: the password shown once is forgotten. */
  close(): void {
    this.#seq++;
    this.account = null;
    this.info = null;
    this.newPassword = null;
    this.actionError = null;
    this.busy = null;
  }

  async #load(): Promise<void> {
    const seq = this.#seq;
    const account = this.account;
    if (account === null) return;
    this.loading = true;
    this.loadError = null;
    try {
      const [info, view] = await Promise.all([this.#ipc.bridgeAccount(account), this.#ipc.bridgeStatus()]);
      if (seq !== this.#seq) return;
      this.info = info;
      this.view = view;
      this.statusError = null;
      if (view?.status.listeners.length) this.#rememberLan(view);
    } catch (err) {
      if (seq === this.#seq) this.loadError = toIpcError(err);
    } finally {
      if (seq === this.#seq) this.loading = false;
    }
  }

  /** Reads the bridge's status again (the poll). */
  async refresh(): Promise<void> {
    const seq = this.#seq;
    try {
      const view = await this.#ipc.bridgeStatus();
      if (seq !== this.#seq) return;
      this.view = view;
      this.statusError = null;
    } catch (err) {
      if (seq === this.#seq) this.statusError = toIpcError(err);
    }
  }

  /** Reads the status every `ms` until the returned function is called (the page closing). */
  poll(ms: number = POLL_MS): () => void {
    const id = this.#timers.setInterval(() => {
      if (this.busy === null) void this.refresh();
    }, ms);
    return () => this.#timers.clearInterval(id);
  }

  #rememberLan(view: BridgeView) {
    if (view.fingerprint === null || this.lanAddress !== "") return;
    const plain = view.status.listeners.find((l) => !l.implicitTls);
    if (plain) this.lanAddress = plain.host;
  }

  async #act<T>(action: Exclude<BridgeBusy, null>, run: () => Promise<T>): Promise<T | undefined> {
    if (this.busy !== null || this.account === null) return undefined;
    const seq = this.#seq;
    this.busy = action;
    this.actionError = null;
    try {
      return await run();
    } catch (err) {
      if (seq === this.#seq) this.actionError = { action, error: toIpcError(err) };
      return undefined;
    } finally {
      if (seq === this.#seq) this.busy = null;
    }
  }

  /** Turns the bridge on, on this computer only (Rust keeps the ports it had, or takes its defaults). */
  async start(): Promise<void> {
    await this.#act("start", async () => {
      this.view = await this.#ipc.startBridge(null);
    });
  }

  async stop(): Promise<void> {
    await this.#act("stop", async () => {
      await this.#ipc.stopBridge();
      this.view = null;
    });
  }

  /**
   * "Let devices on my network use it": starts the bridge again on the network address typed in (Rust checks
   * it), with TLS and its certificate; `false` goes back to this computer only. The ports stay the same.
   */
  async setLan(on: boolean): Promise<void> {
    const address = this.lanAddress.trim();
    if (on && address === "") return;
    await this.#act("lan", async () => {
      this.view = await this.#ipc.startBridge(on ? address : null);
    });
  }

  /** "Make a password" / "Make a new one": the old one stops working at once; the new one is shown once. */
  async makePassword(): Promise<void> {
    const account = this.account;
    if (account === null) return;
    const seq = this.#seq;
    await this.#act("password", async () => {
      const made = await this.#ipc.newBridgePassword(account);
      if (seq !== this.#seq) return;
      this.newPassword = made;
      if (this.info) this.info = { ...this.info, user: made.user, hasPassword: true };
    });
  }

  /** Puts the password shown once away: it is not shown again. */
  dismissPassword(): void {
    this.newPassword = null;
  }

  /** Deletes the bridge password: no new session can log in with it. */
  async revoke(): Promise<void> {
    const account = this.account;
    if (account === null) return;
    const seq = this.#seq;
    await this.#act("revoke", async () => {
      await this.#ipc.revokeBridgePassword(account);
      if (seq !== this.#seq) return;
      this.newPassword = null;
      if (this.info) this.info = { ...this.info, hasPassword: false };
    });
  }
}

export const bridge = new BridgeStore();

/** Opens the bridge page for `account` (from "Use this mailbox" or an account card). */
export function openBridgePage(account: string, store: BridgeStore = bridge, nav: Navigation = appNavigation): void {
  void store.show(account);
  nav.go("bridge");
}
