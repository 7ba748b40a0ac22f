// The organisation's app registrations from Microsoft Graph, for the expiry board: the imports made so far, the
// registrations an import can read through, the import in progress (an admin's sign-in with its events, or the
// app reading as itself), and refresh / forget per import. After each change the board reloads its rows.
import { ipc as realIpc, type ImportMethod, type ImportSource, type ImportView, type IpcError } from "../ipc/client";
import { signInsFor, type SignInSession, type SignIns } from "./sign-in.svelte";

type DirectoryIpc = Pick<
  typeof realIpc,
  "listImports" | "importSources" | "importDirectory" | "refreshImport" | "removeImport" | "cancelSignIn" | "submitSignInAddress"
>;

/** The import in progress: how it reads, and its session (an admin's sign-in; no events for the app itself). */
export interface ImportActivity {
  method: ImportMethod;
  session: SignInSession<ImportView>;
}

/** How the last import, refresh or removal ended. */
export interface DirectoryOutcome {
  tone: "success" | "error" | "info";
  message: string;
  error: IpcError | null;
  /** The import it was about, when there is one. */
  id: string | null;
}

export class DirectoryStore {
  #ipc: DirectoryIpc;
  #signIns: SignIns;
  #onChange: () => Promise<void> | void;
  imports = $state.raw<ImportView[]>([]);
  sources = $state.raw<ImportSource[]>([]);
  loaded = $state(false);
  loadError = $state.raw<IpcError | null>(null);
  importing = $state.raw<ImportActivity | null>(null);
  /** Per import id: what is running on it. */
  busy = $state<Record<string, "refresh" | "remove">>({});
  outcome = $state.raw<DirectoryOutcome | null>(null);

  /** `signIns`: the app's one sign-in at a time (for a fake IPC, its own). */
  constructor(
    ipc: DirectoryIpc = realIpc,
    onChange: () => Promise<void> | void = () => {},
    signIns: SignIns = signInsFor(ipc),
  ) {
    this.#ipc = ipc;
    this.#onChange = onChange;
    this.#signIns = signIns;
  }

  /** Something changed the rows: the board reloads them. */
  setOnChange(onChange: () => Promise<void> | void): void {
    this.#onChange = onChange;
  }

  async load(): Promise<void> {
    try {
      const [imports, sources] = await Promise.all([this.#ipc.listImports(), this.#ipc.importSources()]);
      this.imports = imports;
      this.sources = sources;
      this.loadError = null;
      this.loaded = true;
    } catch (err) {
      this.loadError = err as IpcError;
    }
  }

  /** Reads the organisation's registrations through `registration`; resolves with the import, or null. */
  async start(registration: string, method: ImportMethod): Promise<ImportView | null> {
    this.outcome = null;
    const session = this.#signIns.start((onEvent) => this.#ipc.importDirectory(registration, method, onEvent));
    const importing: ImportActivity = { method, session };
    this.importing = importing;
    try {
      const outcome = await session.finished;
      // A newer import replaced this one: what this one says is dropped.
      if (this.importing !== importing) return null;
      if (outcome.status === "done") {
        const done = outcome.value;
        this.#put(done);
        this.outcome = {
          tone: "success",
          message: `Read ${done.applications.toLocaleString("en-GB")} app registrations with ${done.credentials.toLocaleString("en-GB")} secrets and certificates from ${done.tenant}.`,
          error: null,
          id: done.id,
        };
        await this.#onChange();
        return done;
      }
      this.outcome =
        outcome.status === "failed"
          ? { tone: "error", message: outcome.error.message, error: outcome.error, id: null }
          : {
              tone: "info",
              message: outcome.superseded
                ? "The import stopped: another sign-in started, and Mailgrant runs one at a time."
                : "The import was cancelled.",
              error: null,
              id: null,
            };
      // A failed listing after a good sign-in is kept with its failure: show it.
      await this.load();
      return null;
    } finally {
      if (this.importing === importing) this.importing = null;
    }
  }

  async refresh(id: string): Promise<void> {
    this.busy[id] = "refresh";
    this.outcome = null;
    try {
      const done = await this.#ipc.refreshImport(id);
      this.#put(done);
      this.outcome = {
        tone: "success",
        message: `${done.tenant}: read ${done.applications.toLocaleString("en-GB")} app registrations again.`,
        error: null,
        id,
      };
      await this.#onChange();
    } catch (err) {
      this.outcome = { tone: "error", message: (err as IpcError).message, error: err as IpcError, id };
      await this.load();
    } finally {
      delete this.busy[id];
    }
  }

  async remove(id: string): Promise<void> {
    this.busy[id] = "remove";
    this.outcome = null;
    try {
      await this.#ipc.removeImport(id);
      const gone = this.imports.find((i) => i.id === id);
      this.imports = this.imports.filter((i) => i.id !== id);
      this.outcome = {
        tone: "info",
        message: `Forgot the import from ${gone?.tenant ?? id} and its sign-in. Its rows left the board.`,
        error: null,
        id: null,
      };
      await this.#onChange();
    } catch (err) {
      this.outcome = { tone: "error", message: (err as IpcError).message, error: err as IpcError, id };
    } finally {
      delete this.busy[id];
    }
  }

  #put(view: ImportView): void {
    const at = this.imports.findIndex((i) => i.id === view.id);
    this.imports = at < 0 ? [...this.imports, view] : this.imports.map((i, n) => (n === at ? view : i));
  }
}

export const directory = new DirectoryStore();
