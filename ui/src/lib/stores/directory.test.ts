import { describe, expect, it } from "vitest";
import type { ImportView, IpcError, SignInEvent } from "../ipc/client";
import { DirectoryStore } from "./directory.svelte";

function view(over: Partial<ImportView> = {}): ImportView {
  return {
    id: "reg@t",
    registration: "reg",
    registrationName: "Mailgrant Desktop",
    tenantId: "3f8a2c1e-0000-4000-8000-000000000001",
    tenant: "contoso.example",
    signedInAs: "it@contoso.example",
    appOnly: false,
    importedAt: 1_800_000_000,
    applications: 120,
    credentials: 240,
    lastFailure: null,
    ...over,
  };
}

/** A fake IPC whose import can be held open, and which records what it was asked. */
function fakeIpc(imports: ImportView[] = []) {
  const calls: string[] = [];
  let settle: ((result: ImportView | IpcError) => void) | null = null;
  let emit: ((event: SignInEvent) => void) | null = null;
  const ipc = {
    listImports: async () => (calls.push("list"), imports),
    importSources: async () => [
      { registration: "reg", name: "Mailgrant Desktop", clientId: "c", tenant: "contoso.example", appOnly: false },
    ],
    importDirectory: (registration: string, method: string, onEvent: (event: SignInEvent) => void) => {
      calls.push(`import ${registration} ${method}`);
      emit = onEvent;
      return new Promise<ImportView>((resolve, reject) => {
        settle = (result) => ("code" in result ? reject(result) : resolve(result));
      });
    },
    refreshImport: async (id: string) => {
      calls.push(`refresh ${id}`);
      if (id === "gone") throw { code: "sign-in-required", message: "must sign in again" };
      return view({ id, applications: 121 });
    },
    removeImport: async (id: string) => void calls.push(`remove ${id}`),
    cancelSignIn: async () => {
      calls.push("cancel");
      settle?.({ code: "cancelled", message: "The sign-in was cancelled." });
      return true;
    },
    submitSignInAddress: async () => undefined,
  };
  return { ipc, calls, settle: (r: ImportView | IpcError) => settle?.(r), emit: (e: SignInEvent) => emit?.(e) };
}

describe("DirectoryStore", () => {
  it("imports with live sign-in events, then has the board reload", async () => {
    const fake = fakeIpc();
    let reloads = 0;
    const store = new DirectoryStore(fake.ipc, () => void (reloads += 1));
    await store.load();
    expect(store.sources).toHaveLength(1);
    const done = store.start("reg", "browser");
    expect(store.importing?.method).toBe("browser");
    expect(store.importing?.session.event).toBeNull();
    fake.emit({ kind: "browser", url: "https://login.example/authorize", opened: true, paste: false });
    expect(store.importing?.session.event?.kind).toBe("browser");
    fake.settle(view());
    expect(await done).toEqual(view());
    expect(store.importing).toBeNull();
    expect(store.imports.map((i) => i.id)).toEqual(["reg@t"]);
    expect(store.outcome?.tone).toBe("success");
    expect(store.outcome?.message).toBe("Read 120 app registrations with 240 secrets and certificates from contoso.example.");
    expect(reloads).toBe(1);
  });

  it("a cancelled import says so and changes nothing", async () => {
    const fake = fakeIpc();
    let reloads = 0;
    const store = new DirectoryStore(fake.ipc, () => void (reloads += 1));
    const done = store.start("reg", "device-code");
    await store.importing?.session.cancel();
    expect(await done).toBeNull();
    expect(store.importing).toBeNull();
    expect(store.outcome).toMatchObject({ tone: "info", message: "The import was cancelled." });
    expect(fake.calls).toContain("cancel");
    expect(reloads).toBe(0);
  });

  it("refreshes in place; a refresh that needs a sign-in keeps the error and re-reads the imports", async () => {
    const fake = fakeIpc([view(), view({ id: "gone", tenant: "fabrikam.example" })]);
    const store = new DirectoryStore(fake.ipc);
    await store.load();
    await store.refresh("reg@t");
    expect(store.imports[0].applications).toBe(121);
    expect(store.busy).toEqual({});
    await store.refresh("gone");
    expect(store.outcome).toMatchObject({ tone: "error", id: "gone", error: { code: "sign-in-required" } });
    expect(fake.calls.filter((c) => c === "list")).toHaveLength(2);
  });

  it("forgets an import and reloads the board", async () => {
    const fake = fakeIpc([view()]);
    let reloads = 0;
    const store = new DirectoryStore(fake.ipc, () => void (reloads += 1));
    await store.load();
    await store.remove("reg@t");
    expect(store.imports).toEqual([]);
    expect(store.outcome?.message).toContain("contoso.example");
    expect(reloads).toBe(1);
  });
});
