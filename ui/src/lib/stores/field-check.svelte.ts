// A pasted value checked by Rust as it is typed (`check_field`): once typing pauses, an answer for an older value
// dropped, and a way to run a waiting check at once and wait for it (Next, Replace). The wizard's step 4 and the
// "Replace client secret" dialog both use it, and show its answer under the field with `checkMessage`.
import { toIpcError, type FieldCheck, type IpcError } from "../ipc/client";
import type { FieldMessage } from "../components/TextField.svelte";

export type CheckState =
  | { status: "idle" }
  | { status: "checking"; value: string }
  | { status: "done"; value: string; result: FieldCheck }
  | { status: "error"; value: string; error: IpcError };

/** What the field says under it about the check of the value typed now (null: nothing to say yet). */
export function checkMessage(check: CheckState, value: string): FieldMessage | null {
  if (check.status === "idle" || value.trim() === "") return null;
  if (check.value !== value || check.status === "checking") return { kind: "pending", text: "Checking…" };
  if (check.status === "error") return { kind: "warning", text: `Mailgrant could not check this: ${check.error.message}` };
  const result = check.result;
  if (result.verdict === "ok") return { kind: "ok", text: "Looks right." };
  return { kind: result.verdict === "problem" ? "problem" : "warning", text: result.message };
}

/** Rust's verdict on `value`, when the latest check answered for it (null: not checked, or checked another). */
export function verdictFor(check: CheckState, value: string): FieldCheck | null {
  return check.status === "done" && check.value === value ? check.result : null;
}

export interface FieldCheckerOptions {
  /** How long typing must pause before the value is checked. */
  debounceMs?: number;
  /** Called with each answer for the latest value. */
  onAnswer?: (result: FieldCheck) => void;
}

export class FieldChecker {
  /** The latest check: of which value, and what Rust said. */
  state = $state.raw<CheckState>({ status: "idle" });

  #check: (value: string) => Promise<FieldCheck>;
  #debounceMs: number;
  #onAnswer: ((result: FieldCheck) => void) | undefined;
  /** Bumped by every new value and by reset: an answer for an older one is dropped. */
  #seq = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** The latest check: `run` starts it now, `done` settles when it has answered. */
  #pending: { run: () => void; done: Promise<void> } | null = null;

  constructor(check: (value: string) => Promise<FieldCheck>, options: FieldCheckerOptions = {}) {
    this.#check = check;
    this.#debounceMs = options.debounceMs ?? 250;
    this.#onAnswer = options.onAnswer;
  }

  /** The value changed: check it once typing pauses for `delay` ms (0: now). An empty value is not checked. */
  schedule(value: string, delay: number = this.#debounceMs): void {
    clearTimeout(this.#timer);
    const seq = ++this.#seq;
    if (value.trim() === "") {
      this.state = { status: "idle" };
      this.#pending = null;
      return;
    }
    this.state = { status: "checking", value };
    let finished!: () => void;
    const done = new Promise<void>((resolve) => (finished = resolve));
    let started = false;
    const run = () => {
      if (started) return;
      started = true;
      if (seq === this.#seq) clearTimeout(this.#timer);
      void this.#run(value, seq).finally(finished);
    };
    this.#timer = setTimeout(run, delay);
    this.#pending = { run, done };
  }

  async #run(value: string, seq: number): Promise<void> {
    try {
      const result = await this.#check(value);
      if (seq !== this.#seq) return;
      this.state = { status: "done", value, result };
      this.#onAnswer?.(result);
    } catch (err) {
      if (seq === this.#seq) this.state = { status: "error", value, error: toIpcError(err) };
    }
  }

  /** Runs the check still waiting for typing to pause, if any, and waits for the latest check's answer. */
  async settle(): Promise<void> {
    const pending = this.#pending;
    if (!pending) return;
    pending.run();
    await pending.done;
  }

  /** Forgets the value and any check of it (an answer still coming is dropped). */
  reset(): void {
    clearTimeout(this.#timer);
    this.#seq++;
    this.#pending = null;
    this.state = { status: "idle" };
  }
}
