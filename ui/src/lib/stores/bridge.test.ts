import { describe, expect, it, vi } from "vitest";
import type { BridgeAccount, BridgeView, NewBridgePassword } from "../ipc/client";
import { Navigation } from "./navigation.svelte";
import {
  BridgeStore,
  listenersFor,
  openBridgePage,
  type Timers,
} from "./bridge.svelte";

const account: BridgeAccount = {
  account: "work",
  user: "adele@contoso.example",
  hasPassword: false,
  protocols: ["imap", "smtp"],
  lanExposure: "Devices on your network that know an account's bridge password can read its mail.",
};
// Made up at run time: nothing password-like is committed.
const PASSWORD = ["k7qm", "3xzp", "wd9h"].join("-");

function running(over: Partial<BridgeView> = {}, status: Partial<BridgeView["status"]> = {}): BridgeView {
  return {
    status: {
      listeners: [
        { protocol: "imap", address: "127.0.0.1:41143", host: "127.0.0.1", port: 41143, implicitTls: false },
        { protocol: "pop", address: "127.0.0.1:41110", host: "127.0.0.1", port: 41110, implicitTls: false },
        { protocol: "smtp", address: "127.0.0.1:41587", host: "127.0.0.1", port: 41587, implicitTls: false },
      ],
      connecting: 0,
      sessions: [
        { id: 1, protocol: "imap", account: "work", peer: "127.0.0.1:50000", since: 100 },
        { id: 2, protocol: "smtp", account: "other", peer: "127.0.0.1:50001", since: 100 },
      ],
      lastErrors: [
        { at: 90, protocol: "smtp", account: "work", peer: "127.0.0.1:1", message: "wrong password", diagnosis: null },
        { at: 80, protocol: "imap", account: null, peer: "127.0.0.1:2", message: "no such user", diagnosis: null },
        { at: 70, protocol: "imap", account: "other", peer: "127.0.0.1:3", message: "not ours", diagnosis: null },
      ],
      logins: 3,
      ...status,
    },
    fingerprint: null,
    certificateFile: null,
    lanExposure: null,
    ...over,
  };
}

function fakeIpc(status: BridgeView | null = null) {
  let current = status;
  const made: NewBridgePassword = { account: "work", user: "adele@contoso.example", password: PASSWORD };
  return {
    bridgeAccount: vi.fn(async (_name: string) => account),
    bridgeStatus: vi.fn(async () => current),
    newBridgePassword: vi.fn(async (_name: string) => made),
    revokeBridgePassword: vi.fn(async (_name: string) => true),
    startBridge: vi.fn(async (lanAddress: string | null) => {
      current = lanAddress
        ? running({ fingerprint: "AB:CD", lanExposure: "Devices on your network…", certificateFile: "/x.pem" })
        : running();
      return current;
    }),
    stopBridge: vi.fn(async () => {
      current = null;
    }),
    set(view: BridgeView | null) {
      current = view;
    },
  };
}

function fakeTimers() {
  const ticks = new Map<number, () => void>();
  let next = 1;
  const timers: Timers = {
    setInterval: (fn) => {
      ticks.set(next, fn);
      return next++;
    },
    clearInterval: (id) => void ticks.delete(id as number),
  };
  return { timers, tick: () => [...ticks.values()].forEach((fn) => fn()), active: () => ticks.size };
}

describe("the bridge page's helpers", () => {
  it("shows only the account's protocols", () => {
    expect(listenersFor(running(), ["imap", "smtp"]).map((l) => l.protocol)).toEqual(["imap", "smtp"]);
    expect(listenersFor(null, ["imap"])).toEqual([]);
  });
});

describe("the bridge store", () => {
  it("reads the account and the status, and keeps the account's sessions and errors", async () => {
    const ipc = fakeIpc(running());
    const store = new BridgeStore(ipc, fakeTimers().timers);
    await store.show("work");
    expect(ipc.bridgeAccount).toHaveBeenCalledWith("work");
    expect(store.info).toEqual(account);
    expect(store.running).toBe(true);
    expect(store.lanMode).toBe(false);
    expect(store.listeners.map((l) => l.protocol)).toEqual(["imap", "smtp"]);
    expect(store.sessions.map((s) => s.id)).toEqual([1]);
    expect(store.errors.map((e) => e.message)).toEqual(["wrong password", "no such user"]);
  });

  it("turns the bridge on and off", async () => {
    const ipc = fakeIpc(null);
    const store = new BridgeStore(ipc, fakeTimers().timers);
    await store.show("work");
    expect(store.running).toBe(false);
    await store.start();
    expect(ipc.startBridge).toHaveBeenCalledWith(null);
    expect(store.running).toBe(true);
    await store.stop();
    expect(ipc.stopBridge).toHaveBeenCalledOnce();
    expect(store.running).toBe(false);
  });

  it("shows a new password once: until put away or the page closes", async () => {
    const ipc = fakeIpc(null);
    const store = new BridgeStore(ipc, fakeTimers().timers);
    await store.show("work");
    await store.makePassword();
    expect(ipc.newBridgePassword).toHaveBeenCalledWith("work");
    expect(store.newPassword?.password).toBe(PASSWORD);
    expect(store.info?.hasPassword).toBe(true);
    store.dismissPassword();
    expect(store.newPassword).toBeNull();
    await store.makePassword();
    store.close();
    expect(store.newPassword).toBeNull();
    await store.show("work");
    expect(store.newPassword).toBeNull();
  });

  it("revokes the password", async () => {
    const ipc = fakeIpc(null);
    const store = new BridgeStore(ipc, fakeTimers().timers);
    await store.show("work");
    await store.makePassword();
    await store.revoke();
    expect(ipc.revokeBridgePassword).toHaveBeenCalledWith("work");
    expect(store.info?.hasPassword).toBe(false);
    expect(store.newPassword).toBeNull();
  });

  it("turns the network mode on at the typed address, and off again", async () => {
    const ipc = fakeIpc(null);
    const store = new BridgeStore(ipc, fakeTimers().timers);
    await store.show("work");
    await store.start();
    await store.setLan(true);
    expect(ipc.startBridge).toHaveBeenCalledTimes(1); // no address typed: nothing to do
    store.lanAddress = " 192.168.1.20 ";
    await store.setLan(true);
    expect(ipc.startBridge).toHaveBeenLastCalledWith("192.168.1.20");
    expect(store.lanMode).toBe(true);
    expect(store.view?.lanExposure).toBe("Devices on your network…");
    await store.setLan(false);
    expect(ipc.startBridge).toHaveBeenLastCalledWith(null);
    expect(store.lanMode).toBe(false);
  });

  it("keeps a failed action's error with its code, and a second action waits for the first", async () => {
    const ipc = fakeIpc(null);
    ipc.startBridge.mockRejectedValueOnce({ code: "bad-answer", message: '"x" is not an IP address', diagnosis: null });
    const store = new BridgeStore(ipc, fakeTimers().timers);
    await store.show("work");
    store.lanAddress = "x";
    await store.setLan(true);
    expect(store.actionError).toEqual({ action: "lan", error: { code: "bad-answer", message: '"x" is not an IP address' } });
    let release!: () => void;
    ipc.newBridgePassword.mockImplementationOnce(
      () => new Promise((done) => (release = () => done({ account: "work", user: "u", password: PASSWORD }))),
    );
    const first = store.makePassword();
    expect(store.busy).toBe("password");
    await store.revoke();
    expect(ipc.revokeBridgePassword).not.toHaveBeenCalled();
    release();
    await first;
    expect(store.busy).toBeNull();
    expect(store.actionError).toBeNull();
  });

  it("reports an account it cannot read", async () => {
    const ipc = fakeIpc(null);
    ipc.bridgeAccount.mockRejectedValueOnce({ code: "unknown-account", message: "no account nobody" });
    const store = new BridgeStore(ipc, fakeTimers().timers);
    await store.show("nobody");
    expect(store.loadError?.code).toBe("unknown-account");
    expect(store.info).toBeNull();
  });

  it("polls the status until stopped, and drops an answer for a page already closed", async () => {
    const ipc = fakeIpc(null);
    const t = fakeTimers();
    const store = new BridgeStore(ipc, t.timers);
    await store.show("work");
    const stop = store.poll(3000);
    ipc.set(running());
    t.tick();
    await vi.waitFor(() => expect(store.running).toBe(true));
    expect(ipc.bridgeStatus).toHaveBeenCalledTimes(2);
    stop();
    expect(t.active()).toBe(0);

    let answer!: (v: BridgeView | null) => void;
    ipc.bridgeStatus.mockImplementationOnce(() => new Promise((done) => (answer = done)));
    const late = store.refresh();
    store.close();
    answer(null);
    await late;
    expect(store.running).toBe(true);
  });

  it("opens its page from anywhere", () => {
    const ipc = fakeIpc(null);
    const store = new BridgeStore(ipc, fakeTimers().timers);
    const nav = new Navigation();
    openBridgePage("work", store, nav);
    expect(store.account).toBe("work");
    expect(nav.current).toBe("bridge");
  });
});
