import { describe, expect, it } from "vitest";
import type { AccountHealth, AccountView, ConsentRevocation, Diagnosis, ProbeProgress, ProbeReport } from "../ipc/client";
import { AccountsStore, sentence, signInForecast, sortByUrgency, summarize } from "./accounts.svelte";

const NOW = 1_800_000_000;
const DAY = 86_400;

const revocation: ConsentRevocation = {
  user: { label: "My Apps", url: "https://myapps.microsoft.com" },
  admin: null,
  effect: "Revoking consent stops the app from getting new tokens.",
};

function health(over: Partial<AccountHealth> = {}): AccountHealth {
  return {
    name: "adele",
    address: "adele@contoso.example",
    state: "working",
    reason: "tokens are fresh",
    signedInAs: "adele@contoso.example",
    accessExpires: [["outlook", NOW + 3000]],
    refreshLastUsedAt: NOW - 2 * DAY,
    refreshInactiveDaysLeft: 88,
    refreshInactiveAt: NOW + 88 * DAY,
    refreshInactivityDays: 90,
    keepAliveDueAt: NOW + 5 * DAY,
    credentialExpiresAt: null,
    credentialDue: false,
    ...over,
  };
}

function view(over: Partial<AccountHealth> = {}, rest: Partial<AccountView> = {}): AccountView {
  return {
    health: health(over),
    flow: "auth-code",
    services: ["imap"],
    sharedMailbox: null,
    scopes: ["https://outlook.office.com/IMAP.AccessAsUser.All"],
    registrationName: "Contoso mail",
    clientId: "6731de76-14a6-49ae-97bc-6eba6914391e",
    lastFailure: null,
    revocation,
    ...rest,
  };
}

const consentRevoked: Diagnosis = {
  code: "AADSTS65001",
  title: "Consent was withdrawn",
  explanation: "The user or an admin withdrew the permission.",
  fixer: "you",
  steps: ["Sign in again"],
  links: [],
  retryable: false,
  remedy: "sign-in-again",
  raw: {
    aadsts: 65001,
    error: "invalid_grant",
    errorDescription: "AADSTS65001: The user or administrator has not consented.",
    traceId: null,
    correlationId: null,
    timestamp: null,
    httpStatus: 400,
    serverReply: null,
  },
};

/** A fake IPC whose answers the test sets, counting the calls. */
function fakeIpc() {
  const calls: string[] = [];
  let views: AccountView[] = [view()];
  const pending: Record<string, { resolve: (v: unknown) => void; reject: (e: unknown) => void }> = {};
  const hold = <T>(cmd: string) =>
    new Promise<T>((resolve, reject) => {
      pending[cmd] = { resolve: resolve as (v: unknown) => void, reject };
    });
  let onLayer: ((p: ProbeProgress) => void) | null = null;
  const ipc = {
    accountViews: async () => {
      calls.push("accountViews");
      return views;
    },
    refreshAccount: (name: string) => {
      calls.push(`refresh ${name}`);
      return hold<AccountHealth>("refresh");
    },
    testAccount: (name: string, _p: unknown, _s: boolean, layer: (p: ProbeProgress) => void) => {
      calls.push(`test ${name}`);
      onLayer = layer;
      return hold<ProbeReport[]>("test");
    },
    signIn: (name: string) => {
      calls.push(`signIn ${name}`);
      return hold<AccountHealth>("signIn");
    },
    cancelSignIn: async () => {
      calls.push("cancelSignIn");
      pending.signIn.reject({ code: "cancelled", message: "the sign-in was cancelled" });
      return true;
    },
    submitSignInAddress: async (address: string) => {
      calls.push(`submit ${address}`);
    },
    removeAccount: async (name: string) => {
      calls.push(`remove ${name}`);
      return revocation;
    },
    explainCode: async (code: string) => {
      calls.push(`explain ${code}`);
      return code === consentRevoked.code ? consentRevoked : null;
    },
    onAccountsChanged: async () => () => {},
  };
  return {
    ipc,
    calls,
    pending,
    setViews: (v: AccountView[]) => (views = v),
    layer: (p: ProbeProgress) => onLayer?.(p),
  };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe("pure helpers", () => {
  it("puts what needs someone first", () => {
    const sorted = sortByUrgency([
      view({ name: "w" }),
      view({ name: "n", state: "needs-sign-in" }),
      view({ name: "e", state: "expiring-soon" }),
      view({ name: "f", state: "failing" }),
      view({ name: "x", state: "not-signed-in" }),
    ]);
    expect(sorted.map((v) => v.health.name)).toEqual(["n", "f", "e", "x", "w"]);
  });

  it("summarises the states in words", () => {
    expect(summarize([view(), view({ name: "b", state: "needs-sign-in" })])).toBe(
      "2 accounts · 1 needs sign-in · 1 working",
    );
    expect(summarize([view()])).toBe("1 account · 1 working");
  });

  it("makes Rust's reasons into sentences", () => {
    expect(sentence("tokens are fresh")).toBe("Tokens are fresh.");
    expect(sentence("Consent withdrawn (AADSTS65001).")).toBe("Consent withdrawn (AADSTS65001).");
    expect(sentence("")).toBe("");
  });

  it("forecasts the next sign-in", () => {
    expect(signInForecast(view(), NOW)).toMatch(/^Not expected: Mailgrant refreshes the token in 5 days/);
    expect(signInForecast(view(), NOW)).toMatch(/sign in again after \d+ \w+ \d{4}\.$/);
    expect(signInForecast(view({ state: "needs-sign-in" }), NOW)).toMatch(/^Now/);
    expect(signInForecast(view({ state: "not-signed-in", refreshLastUsedAt: null }), NOW)).toMatch(/^Sign in once/);
    expect(signInForecast(view({ refreshLastUsedAt: null, refreshInactiveAt: null }), NOW)).toMatch(/^Unknown/);
    expect(
      signInForecast(view({ credentialExpiresAt: NOW + 40 * DAY }, { flow: "client-credentials" }), NOW),
    ).toMatch(/^Never: the app signs in by itself, with no user, while its client secret is valid/);
    expect(
      signInForecast(view({ credentialExpiresAt: NOW - DAY }, { flow: "client-credentials" }), NOW),
    ).toMatch(/^No sign-in, but a new client secret/);
    // An app-only account without a token yet still has nobody to sign in.
    expect(
      signInForecast(view({ state: "not-signed-in", credentialExpiresAt: null }, { flow: "client-credentials" }), NOW),
    ).toBe("Never: the app signs in by itself, with no user.");
    expect(signInForecast(view({ keepAliveDueAt: null }), NOW)).toMatch(/^If Mailgrant cannot refresh it/);
  });

  it("takes the inactivity limit and its date from Rust", () => {
    // 2027-01-15 08:00 UTC: whatever the last use was, the date is Rust's.
    const forecast = signInForecast(view({ refreshInactiveAt: NOW, refreshInactivityDays: 60, keepAliveDueAt: NOW - DAY }), NOW - 2 * DAY);
    expect(forecast).toMatch(/restarts the 60 days/);
    expect(forecast).toMatch(/sign in again after 15 Jan 2027\.$/);
    expect(signInForecast(view({ refreshInactiveAt: NOW + DAY, keepAliveDueAt: NOW + 2 * DAY }), NOW)).toBe(
      "If Mailgrant cannot refresh it, you will have to sign in again after 16 Jan 2027.",
    );
  });
});

describe("AccountsStore", () => {
  it("loads the accounts and folds loads asked for meanwhile into one more", async () => {
    const fake = fakeIpc();
    const store = new AccountsStore(fake.ipc);
    expect(store.hasAny).toBe(false);
    const first = store.load();
    void store.load();
    void store.load();
    await first;
    expect(fake.calls).toEqual(["accountViews", "accountViews"]);
    expect(store.loaded).toBe(true);
    expect(store.hasAny).toBe(true);
  });

  it("takes a list that changed as unknown until it is read again", async () => {
    const fake = fakeIpc();
    const store = new AccountsStore(fake.ipc);
    fake.setViews([]);
    await store.load();
    expect([store.loaded, store.hasAny]).toEqual([true, false]);
    fake.setViews([view()]);
    const reading = store.invalidate();
    expect(store.loaded).toBe(false);
    await reading;
    expect([store.loaded, store.hasAny]).toEqual([true, true]);
    expect(fake.calls).toEqual(["accountViews", "accountViews"]);
  });

  it("shows a refresh refused by Microsoft with its diagnosis, and reloads the account", async () => {
    const fake = fakeIpc();
    const store = new AccountsStore(fake.ipc);
    await store.load();
    const refreshing = store.refresh("adele");
    expect(store.activity.adele?.kind).toBe("refresh");
    fake.setViews([view({ state: "needs-sign-in", reason: "Consent was withdrawn (AADSTS65001)" })]);
    fake.pending.refresh.reject({ code: "sign-in-required", message: "sign in again", diagnosis: consentRevoked });
    await refreshing;
    expect(store.activity.adele).toBeUndefined();
    expect(store.outcomes.adele.tone).toBe("error");
    expect(store.outcomes.adele.error?.diagnosis?.code).toBe("AADSTS65001");
    expect(store.views[0].health.state).toBe("needs-sign-in");
  });

  it("collects test layers live and keeps the last probe", async () => {
    const fake = fakeIpc();
    const store = new AccountsStore(fake.ipc);
    await store.load();
    const testing = store.test("adele");
    fake.layer({
      protocol: "imap",
      server: "outlook.office365.com:993",
      layer: { layer: "dns", status: "passed", elapsedMs: 3, detail: "2 addresses" },
    });
    const live = store.activity.adele;
    expect(live?.kind === "test" && live.layers.length).toBe(1);
    fake.pending.test.resolve([
      {
        protocol: "imap",
        server: "outlook.office365.com:993",
        security: "implicitTls",
        mailbox: "adele@contoso.example",
        mechanism: "xoauth2",
        token: null,
        layers: [],
        elapsedMs: 120,
        outcome: { status: "ok" },
      },
    ]);
    await testing;
    expect(store.probes.adele.reports?.length).toBe(1);
    expect(store.outcomes.adele.message).toBe("Every test passed.");
  });

  it("drops a test's late answer once the user stopped waiting", async () => {
    const fake = fakeIpc();
    const store = new AccountsStore(fake.ipc);
    await store.load();
    const testing = store.test("adele");
    store.stopWaiting("adele");
    expect(store.activity.adele).toBeUndefined();
    expect(store.outcomes.adele.tone).toBe("info");
    fake.pending.test.resolve([]);
    await testing;
    expect(store.probes.adele).toBeUndefined();
    expect(store.outcomes.adele.tone).toBe("info");
  });

  it("follows a sign-in's events and says so when it is cancelled", async () => {
    const fake = fakeIpc();
    const store = new AccountsStore({
      ...fake.ipc,
      signIn: (name, onEvent) => {
        onEvent({ kind: "deviceCode", userCode: "ABCD-EFGH", verificationUri: "https://microsoft.com/devicelogin", expiresInSecs: 900 });
        return fake.ipc.signIn(name);
      },
    });
    await store.load();
    const signingIn = store.signIn("adele");
    const activity = store.activity.adele;
    const session = activity?.kind === "sign-in" ? activity.session : null;
    expect(session?.event?.kind).toBe("deviceCode");
    expect(store.busy("adele")).toBe(true);
    await session?.cancel();
    await signingIn;
    expect(fake.calls).toContain("cancelSignIn");
    expect(store.activity.adele).toBeUndefined();
    expect(store.outcomes.adele).toMatchObject({ tone: "info", message: "Sign-in cancelled. Nothing changed." });
  });

  it("says who signed in, and keeps a refused sign-in's error", async () => {
    const fake = fakeIpc();
    const store = new AccountsStore(fake.ipc);
    await store.load();
    let signingIn = store.signIn("adele");
    fake.pending.signIn.resolve(health({ reason: "tokens are fresh" }));
    await signingIn;
    expect(store.outcomes.adele).toMatchObject({
      tone: "success",
      message: "Signed in as adele@contoso.example: tokens are fresh.",
    });
    signingIn = store.signIn("adele");
    fake.pending.signIn.reject({ code: "sign-in", message: "refused", diagnosis: consentRevoked });
    await signingIn;
    expect(store.outcomes.adele).toMatchObject({ tone: "error", error: { code: "sign-in", diagnosis: consentRevoked } });
  });

  it("a sign-in on another account stops the first one's card waiting, as Rust stops the first sign-in", async () => {
    const fake = fakeIpc();
    const store = new AccountsStore(fake.ipc);
    fake.setViews([view(), view({ name: "bob", address: "bob@contoso.example" })]);
    await store.load();
    const first = store.signIn("adele");
    const adeleCall = fake.pending.signIn;
    const second = store.signIn("bob");
    await first;
    expect(store.activity.adele).toBeUndefined();
    expect(store.outcomes.adele).toMatchObject({ tone: "info", message: expect.stringMatching(/another sign-in started/) });
    expect(store.activity.bob?.kind).toBe("sign-in");
    // Rust's late "cancelled" for the first changes nothing.
    adeleCall.reject({ code: "cancelled", message: "the sign-in was cancelled" });
    fake.pending.signIn.resolve(health({ name: "bob", signedInAs: "bob@contoso.example" }));
    await second;
    expect(store.outcomes.bob.tone).toBe("success");
    expect(store.outcomes.adele.message).toMatch(/another sign-in started/);
  });

  it("forgets an account and keeps where to revoke the consent", async () => {
    const fake = fakeIpc();
    const store = new AccountsStore(fake.ipc);
    await store.load();
    fake.setViews([]);
    expect(await store.forget("adele")).toBe(true);
    expect(store.views).toEqual([]);
    expect(store.forgotten).toEqual([{ name: "adele", address: "adele@contoso.example", revocation }]);
    expect(store.hasAny).toBe(true);
    store.dismissForgotten("adele");
    expect(store.hasAny).toBe(false);
  });

  it("explains a failure code once", async () => {
    const fake = fakeIpc();
    const store = new AccountsStore(fake.ipc);
    await Promise.all([store.explain("AADSTS65001"), store.explain("AADSTS65001")]);
    await tick();
    expect(store.explanations.AADSTS65001?.title).toBe("Consent was withdrawn");
    expect(fake.calls.filter((c) => c.startsWith("explain"))).toEqual(["explain AADSTS65001"]);
  });
});
