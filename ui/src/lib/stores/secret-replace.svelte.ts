// "Replace client secret…": one dialog for the app, opened from an account card or a row of the expiry board, for
// one app registration. It holds the new Value as it is typed (checked by Rust like the wizard's step 4, sent to
// Rust once, kept nowhere else, cleared once sent or closed), its expiry date, and how the replacement went.
import { ipc as realIpc, toIpcError, type IpcError, type SecretReplaced } from "../ipc/client";
import { dialogs } from "./dialogs.svelte";
import { FieldChecker, verdictFor, type CheckState } from "./field-check.svelte";

/** The app registration whose secret is replaced. */
export interface SecretTarget {
  /** What Rust finds it by: Mailgrant's registration id, or its client ID. */
  registration: string;
  registrationName: string;
  clientId: string;
}

export type ReplaceState =
  | { status: "closed" }
  | { status: "editing"; target: SecretTarget }
  | { status: "replacing"; target: SecretTarget }
  | { status: "replaced"; target: SecretTarget; result: SecretReplaced }
  | { status: "failed"; target: SecretTarget; error: IpcError };

/** The app's "Certificates & secrets" page in the Entra admin center. */
export function certificatesAndSecretsUrl(clientId: string): string {
  return (
    "https://entra.microsoft.com/#view/Microsoft_AAD_RegisteredApps/ApplicationMenuBlade/~/Credentials/appId/" +
    encodeURIComponent(clientId.trim())
  );
}

/** "Replaced: Contoso mail signs in with the new secret (Microsoft accepted it)." */
export function replacedMessage(result: SecretReplaced): string {
  const name = result.registrationName || result.registration;
  return `Replaced: ${name} signs in with the new secret${result.verified ? " (Microsoft accepted it)" : ""}.`;
}

/**
 * Why Replace is not available yet (empty: it is). Rust keeps only a Value its check calls right, so a warning
 * (a Secret ID, a Value cut short) stops it as a problem does.
 */
export function replaceBlockers(value: string, check: CheckState): string[] {
  if (value.trim() === "") return ["Paste the new secret's Value."];
  const verdict = verdictFor(check, value);
  if (verdict && verdict.verdict !== "ok") return ["Correct the Value first, as the note under it says."];
  return [];
}

type ReplaceIpc = Pick<typeof realIpc, "replaceClientSecret" | "checkField">;

export interface SecretReplaceOptions {
  /** How long typing must pause before the Value is checked. */
  debounceMs?: number;
  /** A secret was replaced (also after the dialog was closed while it ran): reload what shows it. */
  onReplaced?: (result: SecretReplaced) => void;
}

export class SecretReplaceStore {
  state = $state.raw<ReplaceState>({ status: "closed" });
  /** The new Value, as typed: sent to Rust once, kept nowhere else. */
  value = $state("");
  /** "YYYY-MM-DD", or "". */
  expires = $state("");
  /** Replace was pressed while the Value's check was still running: waiting for it. */
  settling = $state(false);
  readonly check: FieldChecker;
  onReplaced: ((result: SecretReplaced) => void) | undefined;

  #ipc: ReplaceIpc;
  /** Bumped by every show and close: an answer for an earlier one is not shown. */
  #seq = 0;

  constructor(ipc: ReplaceIpc = realIpc, options: SecretReplaceOptions = {}) {
    this.#ipc = ipc;
    this.onReplaced = options.onReplaced;
    this.check = new FieldChecker((value) => this.#ipc.checkField("clientSecret", value), {
      debounceMs: options.debounceMs,
    });
  }

  get open(): boolean {
    return this.state.status !== "closed";
  }

  get target(): SecretTarget | null {
    return this.state.status === "closed" ? null : this.state.target;
  }

  get blockers(): string[] {
    return this.state.status === "replaced" ? [] : replaceBlockers(this.value, this.check.state);
  }

  get busy(): boolean {
    return this.settling || this.state.status === "replacing";
  }

  /** Opens the dialog for `target`, with empty fields. */
  show(target: SecretTarget): void {
    dialogs.wanted = true;
    this.#seq++;
    this.#clear();
    this.state = { status: "editing", target };
  }

  /** The Value changed: keep it and have Rust check it once typing pauses. */
  setValue(value: string): void {
    this.value = value;
    this.check.schedule(value);
  }

  /** Sends the Value to Rust (after its check), which has Microsoft accept it before keeping it. */
  async replace(): Promise<void> {
    const state = this.state;
    if (state.status === "closed" || state.status === "replaced" || this.busy) return;
    const seq = this.#seq;
    this.settling = true;
    try {
      await this.check.settle();
    } finally {
      this.settling = false;
    }
    if (seq !== this.#seq || this.blockers.length > 0) return;
    const { target } = state;
    const value = this.value;
    const expires = this.expires.trim() === "" ? null : this.expires.trim();
    // Sent: the field no longer holds it.
    this.value = "";
    this.check.reset();
    this.state = { status: "replacing", target };
    try {
      const result = await this.#ipc.replaceClientSecret(target.registration, value, expires);
      this.onReplaced?.(result);
      if (seq === this.#seq) this.state = { status: "replaced", target, result };
    } catch (err) {
      if (seq === this.#seq) this.state = { status: "failed", target, error: toIpcError(err) };
    }
  }

  /** Closes the dialog and forgets what was typed (a replacement still running finishes in Rust). */
  close(): void {
    this.#seq++;
    this.#clear();
    this.state = { status: "closed" };
  }

  #clear(): void {
    this.value = "";
    this.expires = "";
    this.settling = false;
    this.check.reset();
  }
}

export const secretReplace = new SecretReplaceStore();
