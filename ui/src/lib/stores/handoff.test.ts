import { describe, expect, it } from "vitest";
import type { IpcError, MailSettings, Recipe, RecipeKind } from "../ipc/client";
import { HandoffStore, RECIPE_GROUPS, recipeGroups, textParts } from "./handoff.svelte";

function recipe(id: string, kind: RecipeKind): Recipe {
  return { id, program: id, kind, summary: `${id} in a sentence.`, steps: ["Do it."], snippet: null };
}

function settings(over: Partial<MailSettings> = {}): MailSettings {
  return {
    account: "work",
    address: "adele@contoso.com",
    userName: "adele@contoso.com",
    authentication: "OAuth2",
    servers: [
      {
        protocol: "imap",
        role: "Incoming mail (IMAP)",
        host: "outlook.office365.com",
        port: 993,
        encryption: "ssl-tls",
        encryptionLabel: "SSL/TLS",
      },
    ],
    graph: false,
    personal: false,
    appOnly: false,
    // Rust's order, with the kinds interleaved to show the grouping does not depend on it.
    recipes: [
      recipe("thunderbird", "own-sign-in"),
      recipe("neomutt", "credential-helper"),
      recipe("apple-mail", "own-sign-in"),
      recipe("password-only", "password-only"),
      recipe("msmtp", "credential-helper"),
    ],
    ...over,
  };
}

/** A fake `mailSettings` whose answers the test gives, one call at a time. */
function fakeIpc() {
  const calls: { name: string; resolve: (s: MailSettings) => void; reject: (e: unknown) => void }[] = [];
  return {
    calls,
    ipc: {
      mailSettings: (name: string) =>
        new Promise<MailSettings>((resolve, reject) => calls.push({ name, resolve, reject })),
    },
  };
}

describe("recipe groups", () => {
  it("groups by kind in the view's order, each keeping Rust's order, with the headings", () => {
    const groups = recipeGroups(settings());
    expect(groups.map((g) => g.kind)).toEqual(["own-sign-in", "credential-helper", "password-only"]);
    expect(groups.map((g) => g.recipes.map((r) => r.id))).toEqual([
      ["thunderbird", "apple-mail"],
      ["neomutt", "msmtp"],
      ["password-only"],
    ]);
    expect(groups[0].title).toBe("Programs that sign in to Microsoft themselves — no Mailgrant needed");
    expect(groups[1].title).toBe("Programs that ask Mailgrant for a token");
    expect(groups[2].title).toBe("Programs and devices that only know a password");
    expect(Object.keys(RECIPE_GROUPS)).toHaveLength(3);
  });

  it("leaves out a kind with no recipe", () => {
    const groups = recipeGroups(settings({ recipes: [recipe("password-only", "password-only")] }));
    expect(groups.map((g) => g.kind)).toEqual(["password-only"]);
  });

  it("shows no recipe for an account that signs in as the app itself", () => {
    expect(recipeGroups(settings({ appOnly: true }))).toEqual([]);
  });
});

describe("commands in recipe texts", () => {
  it("splits backticked commands from the words around them", () => {
    expect(textParts("msmtp asks (`mailgrant token work`): install it.")).toEqual([
      { text: "msmtp asks (", code: false },
      { text: "mailgrant token work", code: true },
      { text: "): install it.", code: false },
    ]);
    expect(textParts("`a` and `b`")).toEqual([
      { text: "a", code: true },
      { text: " and ", code: false },
      { text: "b", code: true },
    ]);
  });

  it("keeps text without backticks, or with an unpaired one, as it is", () => {
    expect(textParts("Click Done.")).toEqual([{ text: "Click Done.", code: false }]);
    expect(textParts("It's `odd")).toEqual([{ text: "It's `odd", code: false }]);
    expect(textParts("")).toEqual([]);
  });
});

describe("the store", () => {
  it("loads the account's settings, showing the address it was given meanwhile", async () => {
    const { calls, ipc } = fakeIpc();
    const store = new HandoffStore(ipc);
    expect(store.open).toBe(false);
    const shown = store.show("work", "adele@contoso.com");
    expect(store.open).toBe(true);
    expect(store.state.status).toBe("loading");
    expect(store.address).toBe("adele@contoso.com");
    expect(calls.map((c) => c.name)).toEqual(["work"]);
    calls[0].resolve(settings({ address: "adele@contoso.com" }));
    await shown;
    expect(store.state.status).toBe("ready");
    expect(store.settings?.userName).toBe("adele@contoso.com");
    expect(store.groups.map((g) => g.kind)).toEqual(["own-sign-in", "credential-helper", "password-only"]);
  });

  it("names the mailbox by its account until Rust answers, when no address was given", () => {
    const store = new HandoffStore(fakeIpc().ipc);
    void store.show("work", "  ");
    expect(store.address).toBe("work");
  });

  it("keeps the error, and tries again for the same account", async () => {
    const { calls, ipc } = fakeIpc();
    const store = new HandoffStore(ipc);
    const first = store.show("gone", "gone@contoso.com");
    const refused: IpcError = { code: "unknown-account", message: "no account named gone" };
    calls[0].reject(refused);
    await first;
    expect(store.state).toEqual({ status: "failed", account: "gone", address: "gone@contoso.com", error: refused });
    expect(store.groups).toEqual([]);

    const again = store.retry();
    expect(store.state.status).toBe("loading");
    expect(calls[1].name).toBe("gone");
    calls[1].resolve(settings());
    await again;
    expect(store.state.status).toBe("ready");
  });

  it("turns a thrown value that is not an IpcError into one", async () => {
    const { calls, ipc } = fakeIpc();
    const store = new HandoffStore(ipc);
    const shown = store.show("work");
    calls[0].reject(new Error("boom"));
    await shown;
    expect(store.state.status === "failed" && store.state.error).toEqual({ code: "unexpected", message: "boom" });
  });

  it("drops a late answer: after closing, or for an account shown before another", async () => {
    const { calls, ipc } = fakeIpc();
    const store = new HandoffStore(ipc);
    const first = store.show("work");
    store.close();
    calls[0].resolve(settings());
    await first;
    expect(store.state).toEqual({ status: "closed" });
    expect(store.open).toBe(false);

    const a = store.show("a");
    const b = store.show("b");
    calls[2].resolve(settings({ account: "b", address: "b@contoso.com" }));
    await b;
    calls[1].resolve(settings({ account: "a", address: "a@contoso.com" }));
    await a;
    expect(store.settings?.account).toBe("b");
    expect(store.address).toBe("b@contoso.com");
  });

  it("retry does nothing while closed", async () => {
    const { calls, ipc } = fakeIpc();
    const store = new HandoffStore(ipc);
    await store.retry();
    expect(calls).toHaveLength(0);
  });
});
