import { describe, expect, it, vi } from "vitest";
import type { CredentialExpiry } from "../ipc/client";
import {
  countByState,
  CredentialsStore,
  filterCredentials,
  indexCredentials,
} from "./credentials.svelte";

function row(over: Partial<CredentialExpiry>): CredentialExpiry {
  return {
    registration: "reg",
    registrationName: "Contoso mail",
    clientId: "6731de76-14a6-49ae-97bc-6eba6914391e",
    kind: "secret",
    keyId: "k1",
    label: null,
    hint: null,
    expiresAt: 1_800_000_000,
    daysLeft: 10,
    state: "within-14",
    accounts: ["adele"],
    source: "mailgrant",
    tenant: null,
    missingInDirectory: false,
    ...over,
  };
}

const rows = [
  row({ keyId: "a", state: "expired", daysLeft: -2, label: "old secret" }),
  row({ keyId: "b", state: "within-7", daysLeft: 3, accounts: ["bob", "carol"] }),
  row({ keyId: "c", state: "within-30", daysLeft: 25, registrationName: "Fabrikam", kind: "certificate" }),
  row({ keyId: "d", state: "ok", daysLeft: 200, hint: "Zx9" }),
  row({ keyId: "e", state: "no-expiry", daysLeft: null, expiresAt: null }),
  row({ keyId: "f", state: "ok", daysLeft: 90, accounts: [], source: "directory", tenant: "fabrikam.example" }),
];

describe("filterCredentials", () => {
  const indexed = indexCredentials(rows);
  const keys = (r: CredentialExpiry[]) => r.map((x) => x.keyId);

  it("keeps every row, in order, with no filter", () => {
    expect(keys(filterCredentials(indexed, "all", ""))).toEqual(["a", "b", "c", "d", "e", "f"]);
  });
  it("filters by one state, or by everything that needs attention", () => {
    expect(keys(filterCredentials(indexed, "within-7", ""))).toEqual(["b"]);
    expect(keys(filterCredentials(indexed, "attention", ""))).toEqual(["a", "b", "c"]);
    expect(keys(filterCredentials(indexed, "no-expiry", ""))).toEqual(["e"]);
  });
  it("searches every field, any case, every word", () => {
    expect(keys(filterCredentials(indexed, "all", "FABRIKAM"))).toEqual(["c", "f"]);
    expect(keys(filterCredentials(indexed, "all", "carol"))).toEqual(["b"]);
    expect(keys(filterCredentials(indexed, "all", "zx9"))).toEqual(["d"]);
    expect(keys(filterCredentials(indexed, "all", "old secret"))).toEqual(["a"]);
    expect(keys(filterCredentials(indexed, "all", "certificate fabrikam"))).toEqual(["c"]);
    expect(keys(filterCredentials(indexed, "ok", "fabrikam"))).toEqual(["f"]);
    expect(keys(filterCredentials(indexed, "all", "microsoft graph"))).toEqual(["f"]);
  });
  // How fast: `node e2e/board-bench.mjs` prints it; here only that a needle is found among 10,000.
  it("finds one row among 10,000", () => {
    const many = indexCredentials(
      Array.from({ length: 10_000 }, (_, i) => row({ keyId: `k${i}`, registrationName: `App ${i}` })),
    );
    const found = filterCredentials(many, "all", "app 9999");
    expect(found.map((r) => r.keyId)).toEqual(["k9999"]);
  });
});

describe("counts", () => {
  it("counts each state", () => {
    expect(countByState(rows)).toEqual({
      expired: 1,
      "within-7": 1,
      "within-14": 0,
      "within-30": 1,
      ok: 2,
      "no-expiry": 1,
    });
  });
});

describe("CredentialsStore", () => {
  it("loads, filters, and has Rust write the CSV of what is shown", async () => {
    const credentialsCsv = vi.fn(
      async (shown: CredentialExpiry[]) => `header\r\n${shown.map((r) => r.keyId).join("\r\n")}\r\n`,
    );
    const store = new CredentialsStore({ listCredentials: async () => rows, credentialsCsv });
    await store.load();
    expect(store.loaded).toBe(true);
    expect(store.visible.length).toBe(6);
    store.stateFilter = "attention";
    store.query = "bob";
    expect(store.visible.map((r) => r.keyId)).toEqual(["b"]);
    expect(await store.csv()).toBe("header\r\nb\r\n");
    expect(credentialsCsv).toHaveBeenCalledWith([rows[1]]);
    store.clearFilters();
    expect(store.visible.length).toBe(6);
  });

  it("keeps the error when the load fails", async () => {
    const store = new CredentialsStore({
      listCredentials: async () => {
        throw { code: "config", message: "the config file is damaged" };
      },
      credentialsCsv: async () => "",
    });
    await store.load();
    expect(store.loaded).toBe(false);
    expect(store.error?.message).toBe("the config file is damaged");
  });
});
