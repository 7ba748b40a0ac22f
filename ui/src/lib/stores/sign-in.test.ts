import { describe, expect, it } from "vitest";
import type { AccountHealth, ImportView, IpcError, SignInEvent } from "../ipc/client";
import { AccountsStore } from "./accounts.svelte";
import { DirectoryStore } from "./directory.svelte";
import { SignInSession, SignIns, type StartSignIn } from "./sign-in.svelte";

const CANCELLED: IpcError = { code: "cancelled", message: "The sign-in was cancelled." };
const browser: SignInEvent = { kind: "browser", url: "https://login.example/authorize", opened: true, paste: true };
const deviceCode: SignInEvent = {
  kind: "deviceCode",
  userCode: "ABCD-EFGH",
  verificationUri: "https://microsoft.com/devicelogin",
  expiresInSecs: 900,
};

/**
 * A fake Rust with one sign-in in progress at a time, as the real one: each `start()` is a sign-in the test
 * answers; starting one cancels the one before; cancel_sign_in stops the one in progress.
 */
function fakeRust() {
  const calls: string[] = [];
  let time = 1_000;
  type Run = { emit: (e: SignInEvent) => void; resolve: (v: unknown) => void; reject: (e: unknown) => void };
  let running: Run | null = null;
  const stop = () => {
    const run = running;
    running = null;
    run?.reject(CANCELLED);
    return run !== null;
  };
  const rust = {
    calls,
    now: () => time,
    tick: (seconds: number) => void (time += seconds),
    cancelAnswer: null as boolean | IpcError | null,
    addressError: null as IpcError | null,
    ipc: {
      cancelSignIn: async (): Promise<boolean> => {
        calls.push("cancel");
        const answer = rust.cancelAnswer;
        if (answer !== null && typeof answer === "object") throw answer;
        if (answer === false) return false;
        return stop();
      },
      submitSignInAddress: async (address: string): Promise<void> => {
        calls.push(`submit ${address}`);
        if (rust.addressError) throw rust.addressError;
      },
    },
    /** A start function: its sign-in becomes the one in progress (stopping the one before, as Rust does). */
    start<T>(what = "sign-in"): { start: StartSignIn<T>; run: () => Run } {
      let mine: Run | null = null;
      return {
        start: (onEvent) => {
          calls.push(what);
          stop();
          return new Promise<T>((resolve, reject) => {
            mine = {
              emit: onEvent,
              resolve: (v) => {
                if (running === mine) running = null;
                resolve(v as T);
              },
              reject: (e) => {
                if (running === mine) running = null;
                reject(e);
              },
            };
            running = mine;
          });
        },
        run: () => {
          if (!mine) throw new Error("not started");
          return mine;
        },
      };
    },
  };
  return rust;
}

describe("SignInSession", () => {
  it("holds Rust's latest event and when it came, and the value it ends with", async () => {
    const rust = fakeRust();
    const sign = rust.start<string>();
    const session = new SignInSession(sign.start, { ipc: rust.ipc, now: rust.now });
    expect(session.since).toBe(1_000);
    expect(session.running).toBe(true);
    expect(session.event).toBeNull();
    expect(session.codeExpiresAt).toBeNull();
    rust.tick(2);
    sign.run().emit(browser);
    expect(session.event).toEqual(browser);
    expect(session.eventAt).toBe(1_002);
    rust.tick(3);
    sign.run().emit(deviceCode);
    expect(session.event).toEqual(deviceCode);
    expect(session.eventAt).toBe(1_005);
    expect(session.codeExpiresAt).toBe(1_905);
    sign.run().resolve("tokens in the keychain");
    expect(await session.finished).toEqual({ status: "done", value: "tokens in the keychain" });
    expect(session.outcome).toEqual({ status: "done", value: "tokens in the keychain" });
    expect(session.running).toBe(false);
    // Nothing it says after it ended counts.
    sign.run().emit(browser);
    expect(session.event).toEqual(deviceCode);
  });

  it("ends as failed with the IpcError, or as cancelled when Rust says it was", async () => {
    const refusal: IpcError = {
      code: "sign-in",
      message: "refused",
      diagnosis: { code: "AADSTS50011", title: "Redirect mismatch" } as never,
    };
    const failed = new SignInSession(() => Promise.reject(refusal), { ipc: fakeRust().ipc });
    expect(await failed.finished).toEqual({ status: "failed", error: refusal });
    const cancelled = new SignInSession(() => Promise.reject(CANCELLED), { ipc: fakeRust().ipc });
    expect(await cancelled.finished).toEqual({ status: "cancelled", superseded: false });
    const thrown = new SignInSession(
      () => {
        throw new Error("channel closed");
      },
      { ipc: fakeRust().ipc },
    );
    expect(await thrown.finished).toEqual({ status: "failed", error: { code: "unexpected", message: "channel closed" } });
  });

  it("cancels once however often Cancel is pressed, and ends when Rust stops the sign-in", async () => {
    const rust = fakeRust();
    const sign = rust.start();
    const session = new SignInSession(sign.start, { ipc: rust.ipc });
    const first = session.cancel();
    expect(session.cancelling).toBe(true);
    const second = session.cancel();
    await Promise.all([first, second]);
    expect(await session.finished).toEqual({ status: "cancelled", superseded: false });
    expect(session.cancelling).toBe(false);
    await session.cancel();
    expect(rust.calls.filter((c) => c === "cancel")).toHaveLength(1);
  });

  it("ends as cancelled at once when Rust had no sign-in to stop, and drops a late answer", async () => {
    const rust = fakeRust();
    const sign = rust.start();
    const session = new SignInSession(sign.start, { ipc: rust.ipc });
    rust.cancelAnswer = false;
    await session.cancel();
    expect(session.outcome).toEqual({ status: "cancelled", superseded: false });
    sign.run().resolve("late");
    await session.finished;
    expect(session.outcome).toEqual({ status: "cancelled", superseded: false });
  });

  it("keeps running when Cancel does not reach Rust, says why, and can cancel again", async () => {
    const rust = fakeRust();
    const session = new SignInSession(rust.start().start, { ipc: rust.ipc });
    const failure: IpcError = { code: "unexpected", message: "the window is closing" };
    rust.cancelAnswer = failure;
    await session.cancel();
    expect(session.running).toBe(true);
    expect(session.cancelling).toBe(false);
    expect(session.cancelError).toEqual(failure);
    rust.cancelAnswer = null;
    await session.cancel();
    expect(session.cancelError).toBeNull();
    expect(await session.finished).toEqual({ status: "cancelled", superseded: false });
    expect(rust.calls.filter((c) => c === "cancel")).toHaveLength(2);
  });

  it("hands over the pasted address trimmed, and says why Rust refused it", async () => {
    const rust = fakeRust();
    const sign = rust.start();
    const session = new SignInSession(sign.start, { ipc: rust.ipc });
    const refused: IpcError = { code: "bad-callback", message: "the address has no code" };
    rust.addressError = refused;
    expect(await session.submitAddress(" http://localhost/?state=x ")).toEqual(refused);
    expect(session.addressSent).toBe(false);
    rust.addressError = null;
    expect(await session.submitAddress("  http://localhost/?code=abc&state=x\n")).toBeNull();
    expect(session.addressSent).toBe(true);
    expect(rust.calls).toContain("submit http://localhost/?code=abc&state=x");
    sign.run().resolve("done");
    await session.finished;
    // Once it ended, an address is not Rust's to give to whatever sign-in runs next.
    const before = rust.calls.length;
    expect(await session.submitAddress("http://localhost/?code=def")).toMatchObject({ code: "no-sign-in" });
    expect(rust.calls).toHaveLength(before);
  });
});

describe("SignIns: one sign-in at a time", () => {
  it("a second sign-in ends the first one's view as cancelled instead of leaving it waiting", async () => {
    const rust = fakeRust();
    const signIns = new SignIns(rust.ipc, rust.now);
    const a = rust.start<string>("sign-in a");
    const b = rust.start<string>("sign-in b");
    const first = signIns.start(a.start);
    a.run().emit(browser);
    expect(signIns.current).toBe(first);
    expect(signIns.running).toBe(true);

    const second = signIns.start(b.start);
    expect(first.outcome).toEqual({ status: "cancelled", superseded: true });
    expect(await first.finished).toEqual({ status: "cancelled", superseded: true });
    expect(signIns.current).toBe(second);
    expect(second.running).toBe(true);

    // The first one's Cancel and pasted address cannot reach the second sign-in.
    await first.cancel();
    expect(await first.submitAddress("http://localhost/?code=abc")).toMatchObject({ code: "no-sign-in" });
    expect(rust.calls).toEqual(["sign-in a", "sign-in b"]);

    b.run().emit(deviceCode);
    expect(second.event).toEqual(deviceCode);
    expect(first.event).toEqual(browser);
    b.run().resolve("b done");
    expect(await second.finished).toEqual({ status: "done", value: "b done" });
    expect(first.outcome).toEqual({ status: "cancelled", superseded: true });
    expect(signIns.running).toBe(false);
  });

  it("a sign-in that ended is not superseded by the next", async () => {
    const rust = fakeRust();
    const signIns = new SignIns(rust.ipc);
    const a = rust.start<string>();
    const first = signIns.start(a.start);
    a.run().resolve("a done");
    await first.finished;
    signIns.start(rust.start().start);
    expect(first.outcome).toEqual({ status: "done", value: "a done" });
  });

  it("is shared by the stores: an import started during an account's sign-in ends the account's", async () => {
    const rust = fakeRust();
    const signIns = new SignIns(rust.ipc, rust.now);
    const health = { name: "adele", signedInAs: "adele@contoso.example", reason: "tokens are fresh" } as AccountHealth;
    const accountSignIn = rust.start<AccountHealth>("sign_in");
    const importSignIn = rust.start<ImportView>("import_directory");
    const accounts = new AccountsStore(
      {
        ...rust.ipc,
        accountViews: async () => [],
        signIn: (_name: string, onEvent: (event: SignInEvent) => void) => accountSignIn.start(onEvent),
      } as never,
      signIns,
    );
    const directory = new DirectoryStore(
      {
        ...rust.ipc,
        listImports: async () => [],
        importSources: async () => [],
        importDirectory: (_r: string, _m: string, onEvent: (event: SignInEvent) => void) => importSignIn.start(onEvent),
      } as never,
      () => {},
      signIns,
    );

    const signingIn = accounts.signIn("adele");
    accountSignIn.run().emit(browser);
    const importing = directory.start("reg", "device-code");
    await signingIn;
    expect(accounts.activity.adele).toBeUndefined();
    expect(accounts.outcomes.adele).toMatchObject({
      action: "sign-in",
      tone: "info",
      message: "Sign-in stopped: another sign-in started, and Mailgrant runs one at a time. Nothing changed.",
    });
    expect(directory.importing?.session.running).toBe(true);

    // Now the account again: the import's view ends, and the account's sign-in finishes.
    const again = accounts.signIn("adele");
    expect(await importing).toBeNull();
    expect(directory.importing).toBeNull();
    expect(directory.outcome).toMatchObject({ tone: "info", message: expect.stringMatching(/another sign-in started/) });
    accountSignIn.run().resolve(health);
    await again;
    expect(accounts.outcomes.adele).toMatchObject({ tone: "success", message: "Signed in as adele@contoso.example: tokens are fresh." });
  });
});
