// "Use this mailbox": what a mail program needs for an account (its servers, the user name, OAuth2) and the
// recipes for the programs people have, all as Rust makes them. One dialog for the whole app shows it: an account
// card and the wizard's last step open it with `show`.
import { dialogs } from "./dialogs.svelte";
import {
  ipc as realIpc,
  toIpcError,
  type IpcError,
  type MailSettings,
  type Recipe,
  type RecipeKind,
} from "../ipc/client";

/** The recipe groups, in the order the view shows them, with their headings. */
export const RECIPE_GROUPS: Record<RecipeKind, { order: number; title: string }> = {
  "own-sign-in": { order: 0, title: "Programs that sign in to Microsoft themselves — no Mailgrant needed" },
  "credential-helper": { order: 1, title: "Programs that ask Mailgrant for a token" },
  "password-only": { order: 2, title: "Programs and devices that only know a password" },
};

export interface RecipeGroup {
  kind: RecipeKind;
  title: string;
  recipes: Recipe[];
}

/**
 * The recipes by kind, in RECIPE_GROUPS' order (each group keeps Rust's order; an empty group is left out). None
 * for an account that signs in as the app itself: no mail program can use it.
 */
export function recipeGroups(settings: MailSettings): RecipeGroup[] {
  if (settings.appOnly) return [];
  return (Object.keys(RECIPE_GROUPS) as RecipeKind[])
    .sort((a, b) => RECIPE_GROUPS[a].order - RECIPE_GROUPS[b].order)
    .map((kind) => ({
      kind,
      title: RECIPE_GROUPS[kind].title,
      recipes: settings.recipes.filter((r) => r.kind === kind),
    }))
    .filter((g) => g.recipes.length > 0);
}

export interface TextPart {
  text: string;
  code: boolean;
}

/**
 * Rust's recipe texts mark commands with backticks ("… (`mailgrant token work`): …"): the parts to show as text
 * and as code. An unpaired backtick is kept as it is.
 */
export function textParts(text: string): TextPart[] {
  const parts: TextPart[] = [];
  let rest = text;
  for (;;) {
    const open = rest.indexOf("`");
    const close = open < 0 ? -1 : rest.indexOf("`", open + 1);
    if (close < 0) break;
    if (open > 0) parts.push({ text: rest.slice(0, open), code: false });
    if (close > open + 1) parts.push({ text: rest.slice(open + 1, close), code: true });
    rest = rest.slice(close + 1);
  }
  if (rest) parts.push({ text: rest, code: false });
  return parts;
}

export type HandoffState =
  | { status: "closed" }
  | { status: "loading"; account: string; address: string | null }
  | { status: "ready"; account: string; address: string | null; settings: MailSettings }
  | { status: "failed"; account: string; address: string | null; error: IpcError };

type HandoffIpc = Pick<typeof realIpc, "mailSettings">;

export class HandoffStore {
  #ipc: HandoffIpc;
  /** Bumped by every show and close: an answer for an earlier one is dropped. */
  #seq = 0;
  state = $state.raw<HandoffState>({ status: "closed" });

  readonly open = $derived(this.state.status !== "closed");
  readonly settings = $derived(this.state.status === "ready" ? this.state.settings : null);
  readonly groups = $derived(this.settings ? recipeGroups(this.settings) : []);
  /** The mailbox's address: Rust's once it answered, else the one the caller knew, else the account's name. */
  readonly address = $derived(
    this.state.status === "closed" ? "" : (this.settings?.address ?? this.state.address ?? this.state.account),
  );

  constructor(ipc: HandoffIpc = realIpc) {
    this.#ipc = ipc;
  }

  /** Opens the view for `account`, reading its settings from Rust. `address`: for the heading meanwhile. */
  show(account: string, address: string | null = null): Promise<void> {
    dialogs.wanted = true;
    return this.#load(account, address && address.trim() !== "" ? address : null);
  }

  /** Reads the settings again after a failure. */
  retry(): Promise<void> {
    if (this.state.status === "closed") return Promise.resolve();
    return this.#load(this.state.account, this.state.address);
  }

  close(): void {
    this.#seq++;
    this.state = { status: "closed" };
  }

  async #load(account: string, address: string | null): Promise<void> {
    const seq = ++this.#seq;
    this.state = { status: "loading", account, address };
    try {
      const settings = await this.#ipc.mailSettings(account);
      if (seq === this.#seq) this.state = { status: "ready", account, address, settings };
    } catch (err) {
      if (seq === this.#seq) this.state = { status: "failed", account, address, error: toIpcError(err) };
    }
  }
}

export const handoff = new HandoffStore();
