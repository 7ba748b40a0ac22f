// The client-secret expiry board: every secret and certificate of every app registration (soonest first, as
// Rust sorts them), the filter and search the user set, and the CSV export (Rust writes it, from the rows shown).
// Filtering is a pure function over rows indexed once on load, so 10,000 rows filter within a frame.
import { ipc as realIpc, type CredentialExpiry, type IpcError } from "../ipc/client";
import type { ExpiryState } from "../ipc/bindings/ExpiryState";

/** What the "Show" select offers: one state, everything that needs attention, or everything. */
export type StateFilter = "all" | "attention" | ExpiryState;

export const STATE_FILTERS: readonly { value: StateFilter; label: string }[] = [
  { value: "all", label: "All" },
  { value: "attention", label: "Needs attention" },
  { value: "expired", label: "Expired" },
  { value: "within-7", label: "7 days or less" },
  { value: "within-14", label: "8 to 14 days" },
  { value: "within-30", label: "15 to 30 days" },
  { value: "ok", label: "More than 30 days" },
  { value: "no-expiry", label: "No end date" },
];

/** The badge words for each state (always shown with an icon, never colour alone). */
export const EXPIRY_LABELS: Record<ExpiryState, string> = {
  expired: "Expired",
  "within-7": "7 days or less",
  "within-14": "14 days or less",
  "within-30": "30 days or less",
  ok: "OK",
  "no-expiry": "No end date",
};

/** Where a row comes from, in words. */
export const SOURCE_LABELS: Record<CredentialExpiry["source"], string> = {
  mailgrant: "Mailgrant",
  directory: "Microsoft Graph",
  both: "Mailgrant and Microsoft Graph",
};

const ATTENTION: ReadonlySet<ExpiryState> = new Set(["expired", "within-7", "within-14", "within-30"]);

export interface IndexedCredential {
  row: CredentialExpiry;
  /** Everything searchable, lower-cased once. */
  text: string;
}

export function indexCredentials(rows: readonly CredentialExpiry[]): IndexedCredential[] {
  return rows.map((row) => ({
    row,
    text: [
      row.registrationName,
      row.registration,
      row.clientId,
      row.kind,
      row.keyId,
      row.label ?? "",
      row.hint ?? "",
      EXPIRY_LABELS[row.state],
      SOURCE_LABELS[row.source],
      row.tenant ?? "",
      row.missingInDirectory ? "not in entra's list" : "",
      ...row.accounts,
    ]
      .join("\n")
      .toLowerCase(),
  }));
}

/** The rows that pass the state filter and contain every word of the query (any field, any case). */
export function filterCredentials(
  rows: readonly IndexedCredential[],
  state: StateFilter,
  query: string,
): CredentialExpiry[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const out: CredentialExpiry[] = [];
  for (const { row, text } of rows) {
    if (state === "attention" ? !ATTENTION.has(row.state) : state !== "all" && row.state !== state) continue;
    if (words.length && !words.every((w) => text.includes(w))) continue;
    out.push(row);
  }
  return out;
}

/** How many rows are in each state. */
export function countByState(rows: readonly CredentialExpiry[]): Record<ExpiryState, number> {
  const counts: Record<ExpiryState, number> = {
    expired: 0,
    "within-7": 0,
    "within-14": 0,
    "within-30": 0,
    ok: 0,
    "no-expiry": 0,
  };
  for (const row of rows) counts[row.state] += 1;
  return counts;
}

type CredentialsIpc = Pick<typeof realIpc, "listCredentials" | "credentialsCsv">;

export class CredentialsStore {
  #ipc: CredentialsIpc;
  rows = $state.raw<CredentialExpiry[]>([]);
  #indexed = $derived(indexCredentials(this.rows));
  loading = $state(false);
  loaded = $state(false);
  error = $state.raw<IpcError | null>(null);
  stateFilter = $state<StateFilter>("all");
  query = $state("");

  /** The rows shown: filtered and searched, still soonest first. */
  readonly visible = $derived(filterCredentials(this.#indexed, this.stateFilter, this.query));
  readonly counts = $derived(countByState(this.rows));

  constructor(ipc: CredentialsIpc = realIpc) {
    this.#ipc = ipc;
  }

  async load(): Promise<void> {
    this.loading = true;
    try {
      this.rows = await this.#ipc.listCredentials();
      this.error = null;
      this.loaded = true;
    } catch (err) {
      this.error = err as IpcError;
    } finally {
      this.loading = false;
    }
  }

  clearFilters(): void {
    this.stateFilter = "all";
    this.query = "";
  }

  /** The visible rows as CSV, with the columns of `mailgrant secrets --csv`. */
  csv(): Promise<string> {
    return this.#ipc.credentialsCsv(this.visible);
  }
}

export const credentials = new CredentialsStore();
