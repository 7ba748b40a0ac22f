// One sign-in, as every part of the UI that signs in shows it: the wizard's step 5, an account's "Sign in again"
// and the directory import. A SignInSession runs one sign-in (sign_in or import_directory, with its Channel of
// events) and holds what the views show: Rust's latest event and when it came, Cancel, the address pasted back,
// and how it ended. Rust keeps one sign-in in progress (starting another cancels the one before), and so does
// `signIns`, the app's one coordinator: starting a sign-in ends the one before it at once, as cancelled, so its view
// says so instead of waiting for an answer that is not for it.
import { ipc as realIpc, toIpcError, type IpcError, type SignInEvent } from "../ipc/client";
import { unixNow } from "../format/time";

/** The commands a sign-in in progress takes besides the one that started it. */
export type SignInIpc = Pick<typeof realIpc, "cancelSignIn" | "submitSignInAddress">;

/** Starts the sign-in in Rust, handing it where its events go; settles when the sign-in ends. */
export type StartSignIn<T> = (onEvent: (event: SignInEvent) => void) => Promise<T>;

/** How a sign-in ended. */
export type SignInOutcome<T> =
  | { status: "done"; value: T }
  /** `superseded`: another sign-in started, and Rust stopped this one for it. */
  | { status: "cancelled"; superseded: boolean }
  | { status: "failed"; error: IpcError };

export interface SignInOptions {
  ipc?: SignInIpc;
  /** Unix seconds, now. */
  now?: () => number;
}

export class SignInSession<T = unknown> {
  /** When it started, in unix seconds. */
  readonly since: number;
  /** What Rust said last: the browser page, or the device code. Null until it said anything. */
  event = $state.raw<SignInEvent | null>(null);
  /** When `event` came, in unix seconds: a device code's lifetime counts from then. */
  eventAt = $state(0);
  /** Cancel was pressed: waiting for the sign-in to end. */
  cancelling = $state(false);
  /** Why the last Cancel did not reach Rust (the sign-in goes on; Cancel can be pressed again). */
  cancelError = $state.raw<IpcError | null>(null);
  /** The address the browser ended on was handed over: Rust is finishing the sign-in. */
  addressSent = $state(false);
  /** How it ended; null while it runs. */
  outcome = $state.raw<SignInOutcome<T> | null>(null);
  /** Settles with the outcome once the sign-in ended; never rejects. */
  readonly finished: Promise<SignInOutcome<T>>;

  #ipc: SignInIpc;
  #now: () => number;
  #settle: () => void;

  /** Starts the sign-in now. */
  constructor(start: StartSignIn<T>, options: SignInOptions = {}) {
    this.#ipc = options.ipc ?? realIpc;
    this.#now = options.now ?? unixNow;
    this.since = this.#now();
    let settle!: () => void;
    this.finished = new Promise<void>((resolve) => (settle = resolve)).then(() => this.outcome as SignInOutcome<T>);
    this.#settle = settle;
    let answer: Promise<T>;
    try {
      answer = Promise.resolve(start((event) => this.#heard(event)));
    } catch (err) {
      answer = Promise.reject(err);
    }
    answer.then(
      (value) => this.#end({ status: "done", value }),
      (err) => {
        const error = toIpcError(err);
        const cancelled = error.code === "cancelled";
        this.#end(cancelled ? { status: "cancelled", superseded: false } : { status: "failed", error });
      },
    );
  }

  /** Still waiting for the sign-in. */
  get running(): boolean {
    return this.outcome === null;
  }

  /** When the device code stops working, in unix seconds; null without one. */
  get codeExpiresAt(): number | null {
    return this.event?.kind === "deviceCode" ? this.eventAt + this.event.expiresInSecs : null;
  }

  /** Asks Rust to stop the sign-in (once, however often it is pressed); it then ends as cancelled. */
  async cancel(): Promise<void> {
    if (!this.running || this.cancelling) return;
    this.cancelling = true;
    this.cancelError = null;
    try {
      const wasRunning = await this.#ipc.cancelSignIn();
      // Rust had no sign-in to stop: this one is over (whatever it answers late is dropped).
      if (!wasRunning) this.#end({ status: "cancelled", superseded: false });
    } catch (err) {
      if (!this.running) return;
      this.cancelling = false;
      this.cancelError = toIpcError(err);
    }
  }

  /** Hands Rust the address the browser ended on (paste redirect): null when it took it, else why not. */
  async submitAddress(address: string): Promise<IpcError | null> {
    // Rust hands an address to whichever sign-in runs now: once this one ended, that would be another one.
    if (!this.running) return { code: "no-sign-in", message: "No sign-in is waiting for an address" };
    try {
      await this.#ipc.submitSignInAddress(address.trim());
      if (this.running) this.addressSent = true;
      return null;
    } catch (err) {
      return toIpcError(err);
    }
  }

  /** Another sign-in started, and Rust stopped this one for it: it ends now, as cancelled (later answers dropped). */
  supersede(): void {
    this.#end({ status: "cancelled", superseded: true });
  }

  #heard(event: SignInEvent): void {
    if (!this.running) return;
    this.event = event;
    this.eventAt = this.#now();
  }

  #end(outcome: SignInOutcome<T>): void {
    if (this.outcome !== null) return;
    this.outcome = outcome;
    this.cancelling = false;
    this.#settle();
  }
}

/** The app's sign-ins: one at a time, as in Rust. */
export class SignIns {
  /** The sign-in started last (it may have ended since); null before the first. */
  current = $state.raw<SignInSession | null>(null);
  #options: SignInOptions;

  constructor(ipc: SignInIpc = realIpc, now: () => number = unixNow) {
    this.#options = { ipc, now };
  }

  /** Starts a sign-in; the one still running before it ends as cancelled (superseded), as Rust stops it. */
  start<T>(start: StartSignIn<T>): SignInSession<T> {
    this.current?.supersede();
    const session = new SignInSession(start, this.#options);
    this.current = session;
    return session;
  }

  /** A sign-in is in progress. */
  get running(): boolean {
    return this.current?.running ?? false;
  }
}

/** The app-wide sign-ins: the wizard, "Sign in again" and the directory import share them. */
export const signIns = new SignIns();

/** The app-wide sign-ins for the real IPC; for a test's fake IPC, sign-ins of its own. */
export function signInsFor(ipc: SignInIpc): SignIns {
  return ipc === realIpc ? signIns : new SignIns(ipc);
}
