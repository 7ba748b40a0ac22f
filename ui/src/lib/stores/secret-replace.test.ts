import { describe, expect, it, vi } from "vitest";
import type { FieldCheck, SecretReplaced } from "../ipc/client";
import {
  certificatesAndSecretsUrl,
  replaceBlockers,
  replacedMessage,
  SecretReplaceStore,
  type SecretTarget,
} from "./secret-replace.svelte";

const CLIENT_ID = "6731de76-14a6-49ae-97bc-6eba6914391e";
const target: SecretTarget = { registration: CLIENT_ID, registrationName: "Reports daemon", clientId: CLIENT_ID };
// Made up at run time: nothing secret-looking is committed.
const VALUE = `Xk58Q~${"d".repeat(35)}`;

const replaced = (over: Partial<SecretReplaced> = {}): SecretReplaced => ({
  registration: "reports",
  registrationName: "Reports daemon",
  verified: true,
  replaced: ["Ab1"],
  ...over,
});

/** A fake IPC whose secret check calls a GUID the Secret ID, as Rust's does. */
function fakeIpc(replace: (registration: string, value: string, expires: string | null) => Promise<SecretReplaced>) {
  const checkField = vi.fn(
    async (_field: string, value: string): Promise<FieldCheck> =>
      /^[0-9a-f-]{36}$/.test(value.trim())
        ? { verdict: "warning", value, message: "This looks like the Secret ID, not the secret's Value." }
        : { verdict: "ok", value: value.trim() },
  );
  return { checkField, replaceClientSecret: vi.fn(replace) };
}

describe("replacing a client secret", () => {
  it("links to the app's Certificates & secrets page and says what happened in words", () => {
    expect(certificatesAndSecretsUrl(` ${CLIENT_ID} `)).toBe(
      `https://entra.microsoft.com/#view/Microsoft_AAD_RegisteredApps/ApplicationMenuBlade/~/Credentials/appId/${CLIENT_ID}`,
    );
    expect(replacedMessage(replaced())).toBe(
      "Replaced: Reports daemon signs in with the new secret (Microsoft accepted it).",
    );
    expect(replacedMessage(replaced({ verified: false }))).toBe("Replaced: Reports daemon signs in with the new secret.");
  });

  it("needs a Value that Rust's check calls right", () => {
    expect(replaceBlockers("", { status: "idle" })).toEqual(["Paste the new secret's Value."]);
    expect(replaceBlockers("x", { status: "checking", value: "x" })).toEqual([]);
    const warning: FieldCheck = { verdict: "warning", value: "x", message: "Secret ID" };
    expect(replaceBlockers("x", { status: "done", value: "x", result: warning })).toHaveLength(1);
    expect(replaceBlockers("y", { status: "done", value: "x", result: warning })).toEqual([]);
  });

  it("sends the Value once checked, clears it, and reports the replacement", async () => {
    const ipc = fakeIpc(async () => replaced());
    const onReplaced = vi.fn();
    const store = new SecretReplaceStore(ipc, { debounceMs: 10_000, onReplaced });
    expect(store.open).toBe(false);
    store.show(target);
    expect(store.open).toBe(true);
    expect(store.blockers).toEqual(["Paste the new secret's Value."]);
    store.setValue(VALUE);
    store.expires = "2027-05-01";
    // Replace does not wait for typing to pause: it runs the check at once and waits for it.
    await store.replace();
    expect(ipc.checkField).toHaveBeenCalledWith("clientSecret", VALUE);
    expect(ipc.replaceClientSecret).toHaveBeenCalledWith(CLIENT_ID, VALUE, "2027-05-01");
    expect(store.state).toEqual({ status: "replaced", target, result: replaced() });
    expect(store.value).toBe("");
    expect(store.check.state).toEqual({ status: "idle" });
    expect(onReplaced).toHaveBeenCalledWith(replaced());

    store.close();
    expect(store.state).toEqual({ status: "closed" });
    expect(store.expires).toBe("");
  });

  it("does not send a Secret ID, and keeps Microsoft's refusal with the field emptied", async () => {
    const refusal = { code: "bad-secret", message: "Microsoft did not accept the new secret", diagnosis: null };
    const ipc = fakeIpc(async () => Promise.reject(refusal));
    const store = new SecretReplaceStore(ipc, { debounceMs: 0 });
    store.show(target);
    store.setValue(CLIENT_ID);
    await store.replace();
    expect(ipc.replaceClientSecret).not.toHaveBeenCalled();
    expect(store.blockers).toEqual(["Correct the Value first, as the note under it says."]);

    store.setValue(VALUE);
    await store.replace();
    expect(ipc.replaceClientSecret).toHaveBeenCalledWith(CLIENT_ID, VALUE, null);
    expect(store.state).toEqual({
      status: "failed",
      target,
      error: { code: "bad-secret", message: "Microsoft did not accept the new secret" },
    });
    expect(store.value).toBe("");
  });

  it("closed while Microsoft checks it: the answer is not shown, but what shows the secret still reloads", async () => {
    let answer!: (value: SecretReplaced) => void;
    const ipc = fakeIpc(() => new Promise((done) => (answer = done)));
    const onReplaced = vi.fn();
    const store = new SecretReplaceStore(ipc, { debounceMs: 0, onReplaced });
    store.show(target);
    store.setValue(VALUE);
    const running = store.replace();
    await vi.waitFor(() => expect(store.state.status).toBe("replacing"));
    expect(store.busy).toBe(true);
    store.close();
    answer(replaced());
    await running;
    expect(store.state).toEqual({ status: "closed" });
    expect(onReplaced).toHaveBeenCalledTimes(1);
  });
});
