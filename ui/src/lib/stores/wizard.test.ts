import { describe, expect, it, vi } from "vitest";
import { rawDetailText } from "../diagnosis";
import type { Diagnosis } from "../ipc/client";
import {
  adminMessageFor,
  applies,
  buildCloud,
  clampStep,
  customCloudProblems,
  draftFingerprint,
  emailDomain,
  emptyAnswers,
  formatCountdown,
  formatHostPort,
  isPersonalDomain,
  mailtoHref,
  parseHostPort,
  remedyFor,
  restoreProgress,
  serialiseProgress,
  stepBlockers,
  stepIndicator,
  STORAGE_KEY,
  toDraft,
  whatWorks,
  WizardStore,
  type Answers,
  type StepContext,
} from "./wizard.svelte";

function answers(overrides: Partial<Answers> = {}): Answers {
  return { ...emptyAnswers(), ...overrides };
}

function memoryStorage() {
  const data = new Map<string, string>();
  return {
    data,
    getItem: (k: string) => data.get(k) ?? null,
    setItem: (k: string, v: string) => void data.set(k, v),
    removeItem: (k: string) => void data.delete(k),
  };
}

function diagnosis(code: string, fixer: Diagnosis["fixer"], error: string | null = null): Diagnosis {
  return {
    code,
    title: "Something failed",
    explanation: "Because.",
    fixer,
    steps: ["Do this.", "Then that."],
    links: [],
    retryable: false,
    raw: {
      aadsts: null,
      error,
      errorDescription: "AADSTS: raw words",
      traceId: "trace-1",
      correlationId: null,
      timestamp: null,
      httpStatus: 400,
      serverReply: null,
    },
  };
}

describe("host:port", () => {
  it("parses a host and port, IPv6 in brackets", () => {
    expect(parseHostPort("outlook.office365.com:993")).toEqual({
      ok: true,
      value: { host: "outlook.office365.com", port: 993 },
    });
    expect(parseHostPort("  127.0.0.1:1143 ")).toEqual({ ok: true, value: { host: "127.0.0.1", port: 1143 } });
    expect(parseHostPort("[::1]:587")).toEqual({ ok: true, value: { host: "::1", port: 587 } });
  });

  it("refuses what is not host:port", () => {
    for (const bad of ["", "outlook.office365.com", ":993", "host:", "host:abc", "host:70000", "host:0", "::1:993", "a b:25", "https://x:443"]) {
      expect(parseHostPort(bad).ok, bad).toBe(false);
    }
  });

  it("formats back to what it parsed", () => {
    expect(formatHostPort({ host: "smtp.office365.com", port: 587 })).toBe("smtp.office365.com:587");
    expect(formatHostPort({ host: "::1", port: 25 })).toBe("[::1]:25");
  });
});

describe("custom cloud", () => {
  const custom = {
    authority: "https://login.example.net/",
    graph: "https://graph.example.net",
    graphResource: "",
    outlookResource: "",
    imap: "imap.example.net:993",
    smtp: "smtp.example.net:587",
    pop: "pop.example.net:995",
  };

  it("builds the cloud from the typed fields, with the default mail audience", () => {
    expect(buildCloud({ cloudKind: "custom", custom })).toEqual({
      kind: "custom",
      authority: "https://login.example.net",
      graph: "https://graph.example.net",
      graph_resource: null,
      outlook_resource: "https://outlook.office.com",
      imap: { host: "imap.example.net", port: 993 },
      pop: { host: "pop.example.net", port: 995 },
      smtp: { host: "smtp.example.net", port: 587 },
    });
    expect(buildCloud({ cloudKind: "us-gov", custom })).toEqual({ kind: "us-gov" });
  });

  it("says which field is wrong, and builds nothing until all are right", () => {
    const broken = { ...custom, smtp: "smtp.example.net", authority: "" };
    expect(Object.keys(customCloudProblems(broken)).sort()).toEqual(["authority", "smtp"]);
    expect(buildCloud({ cloudKind: "custom", custom: broken })).toBeNull();
    expect(customCloudProblems(custom)).toEqual({});
  });
});

describe("which questions and fields apply", () => {
  it("a browser sign-in asks about a secret and the redirect; a Web app always uses loopback", () => {
    expect(applies(answers())).toMatchObject({ flowChoice: true, secretChoice: true, redirectChoice: true, secretFields: false });
    const web = answers({ withSecret: true, redirect: "paste" });
    expect(applies(web)).toMatchObject({ redirectChoice: false, secretFields: true });
    expect(toDraft(web).redirect).toBe("loopback");
  });

  it("a device code has no secret and no redirect", () => {
    const device = answers({ flow: "device-code", withSecret: true, redirect: "paste" });
    expect(applies(device)).toMatchObject({ secretChoice: false, redirectChoice: false, secretFields: false });
    expect(toDraft(device)).toMatchObject({ withSecret: false, redirect: "loopback" });
  });

  it("a background service has no sign-in question, always a secret and a tenant", () => {
    const service = answers({ appOnly: true, audience: "any-organisation" });
    expect(applies(service)).toMatchObject({ flowChoice: false, secretChoice: false, secretFields: true, tenantField: true });
  });

  it("the tenant is asked only for a single-organisation app", () => {
    expect(applies(answers({ audience: "my-organisation" })).tenantField).toBe(true);
    for (const audience of ["any-organisation", "any-organisation-and-personal", "personal"] as const) {
      expect(applies(answers({ audience })).tenantField).toBe(false);
      expect(toDraft(answers({ audience, tenant: "contoso.com" })).tenant).toBe("");
    }
  });

  it("the account is named after its address, services keep a stable order", () => {
    const draft = toDraft(answers({ address: " adele@contoso.com ", services: ["smtp", "imap"] }));
    expect(draft.name).toBe("adele@contoso.com");
    expect(draft.address).toBe("adele@contoso.com");
    expect(draft.services).toEqual(["imap", "smtp"]);
    expect(draft.sharedMailbox).toBeNull();
  });

  it("knows email domains and personal ones", () => {
    expect(emailDomain("Adele@Contoso.COM")).toBe("contoso.com");
    expect(emailDomain("adele")).toBeNull();
    expect(isPersonalDomain("outlook.com")).toBe(true);
    expect(isPersonalDomain("hotmail.co.uk")).toBe(true);
    expect(isPersonalDomain("contoso.com")).toBe(false);
  });
});

describe("what blocks Next", () => {
  const ctx = (overrides: Partial<StepContext> = {}): StepContext => ({
    answers: answers(),
    checks: { clientId: { status: "idle" }, tenant: { status: "idle" }, clientSecret: { status: "idle" } },
    tenantLookup: { status: "idle" },
    needsSecret: false,
    secret: "",
    upToDate: false,
    signedIn: false,
    ...overrides,
  });

  it("step 1 needs an address and a service", () => {
    expect(stepBlockers(1, ctx())).toHaveLength(2);
    expect(stepBlockers(1, ctx({ answers: answers({ address: "adele", services: ["imap"] }) }))).toEqual([
      "Enter the email address in full, like name@example.com.",
    ]);
    expect(stepBlockers(1, ctx({ answers: answers({ address: "adele@contoso.com", services: ["imap"] }) }))).toEqual([]);
  });

  it("step 4 needs the values and stops on a problem, not on a warning or a check still running", () => {
    expect(stepBlockers(4, ctx())).toEqual(["Paste the Application (client) ID.", "Paste the Directory (tenant) ID."]);
    const a = answers({ clientId: "abc", tenant: "contoso.com" });
    expect(stepBlockers(4, ctx({ answers: a }))).toEqual([]);
    const done = ctx({
      answers: a,
      checks: {
        clientId: { status: "done", value: "abc", result: { verdict: "problem", message: "Not a GUID" } },
        tenant: { status: "done", value: "contoso.com", result: { verdict: "warning", value: "contoso.com", message: "Hm" } },
        clientSecret: { status: "idle" },
      },
    });
    expect(stepBlockers(4, done)).toEqual(["Fix the Application (client) ID."]);
  });

  it("step 4 stops on an unknown tenant, and asks for the secret unless it is saved already", () => {
    const a = answers({ clientId: "id", tenant: "nowhere.example", withSecret: true });
    const checks: StepContext["checks"] = {
      clientId: { status: "done", value: "id", result: { verdict: "ok", value: "id" } },
      tenant: { status: "done", value: "nowhere.example", result: { verdict: "ok", value: "nowhere.example" } },
      clientSecret: { status: "idle" },
    };
    const unknown = {
      status: "failed" as const,
      value: "nowhere.example",
      error: { code: "sign-in" as const, message: "x", diagnosis: diagnosis("AADSTS90002", "you") },
    };
    const reasons = stepBlockers(4, ctx({ answers: a, checks, tenantLookup: unknown, needsSecret: true }));
    expect(reasons).toHaveLength(2);
    expect(reasons[0]).toMatch(/can't find this organisation/);
    expect(reasons[1]).toMatch(/client secret Value/);
    expect(stepBlockers(4, ctx({ answers: a, checks, needsSecret: true, upToDate: true }))).toEqual([]);
  });

  it("step 5 needs the sign-in", () => {
    expect(stepBlockers(5, ctx())).toEqual(["Sign in first."]);
    expect(stepBlockers(5, ctx({ signedIn: true }))).toEqual([]);
  });
});

describe("saved progress", () => {
  it("round-trips the answers and the step, never the secret", () => {
    const storage = memoryStorage();
    const first = new WizardStore({ storage, ipc: {} as never });
    first.answers = answers({ address: "adele@contoso.com", services: ["imap", "smtp"], withSecret: true, clientId: "cid", secretExpires: "2027-01-31" });
    const secret = `Xk58Q~${"e".repeat(37)}`;
    first.secret = secret;
    first.step = 4;
    first.persist();
    const text = storage.data.get(STORAGE_KEY) ?? "";
    expect(text).not.toContain(secret);
    expect(text).not.toContain("Xk58Q");

    const second = new WizardStore({ storage, ipc: {} as never });
    expect(second.resumed).toBe(true);
    expect(second.step).toBe(4);
    expect(second.answers).toEqual(first.answers);
    expect(second.secret).toBe("");
  });

  it("never resumes past step 4 without a saved account, and ignores junk", () => {
    const text = serialiseProgress({ step: 6, answers: answers(), saved: false, savedDraft: null, signedIn: true });
    expect(restoreProgress(text)).toMatchObject({ step: 4, signedIn: false });
    expect(restoreProgress("{not json")).toBeNull();
    expect(restoreProgress(JSON.stringify({ version: 99, step: 3 }))).toBeNull();
    const odd = restoreProgress(JSON.stringify({ version: 1, step: 42, answers: { services: ["imap", "fax"], audience: "martians", address: 7 } }));
    expect(clampStep(42)).toBe(6);
    expect(odd).toMatchObject({ step: 4, saved: false });
    expect(odd?.answers.services).toEqual(["imap"]);
    expect(odd?.answers.audience).toBe("my-organisation");
    expect(odd?.answers.address).toBe("");
  });

  it("start over forgets everything", () => {
    const storage = memoryStorage();
    const store = new WizardStore({ storage, ipc: { cancelSignIn: async () => false } as never });
    store.answers.address = "adele@contoso.com";
    store.step = 3;
    store.persist();
    store.startOver();
    expect(storage.data.has(STORAGE_KEY)).toBe(false);
    expect(store.step).toBe(1);
    expect(store.answers.address).toBe("");
  });

  it("knows when the saved account is still up to date", () => {
    const store = new WizardStore({ storage: null, ipc: {} as never });
    store.answers = answers({ address: "adele@contoso.com", services: ["imap"], clientId: "cid" });
    store.saved = true;
    store.savedDraft = draftFingerprint(store.answers);
    expect(store.upToDate).toBe(true);
    store.secret = "new secret";
    expect(store.upToDate).toBe(false);
    store.secret = "";
    store.answers.clientId = "other";
    expect(store.upToDate).toBe(false);
  });
});

describe("the store's calls", () => {
  it("checks a field once typing pauses, and drops stale answers", async () => {
    vi.useFakeTimers();
    const checkField = vi.fn(async (_field: string, value: string) => ({ verdict: "ok" as const, value }));
    const store = new WizardStore({
      storage: null,
      debounceMs: 250,
      ipc: { checkField, setupGuide: async () => ({}) } as never,
    });
    store.setField("clientId", "a");
    store.setField("clientId", "ab");
    expect(store.checks.clientId.status).toBe("checking");
    await vi.advanceTimersByTimeAsync(300);
    expect(checkField).toHaveBeenCalledTimes(1);
    expect(checkField).toHaveBeenCalledWith("clientId", "ab");
    expect(store.checks.clientId).toMatchObject({ status: "done", value: "ab" });
    vi.useRealTimers();
  });

  it("Next on step 4 runs the checks still waiting, and saves only when none found a problem", async () => {
    let verdict: "ok" | "problem" = "problem";
    const checkField = vi.fn(async (_field: string, value: string) =>
      verdict === "ok" ? { verdict, value } : { verdict, message: "Not a client ID." },
    );
    const saveAccount = vi.fn(async () => ({}) as never);
    const store = new WizardStore({
      storage: null,
      debounceMs: 60_000,
      ipc: { checkField, saveAccount, setupGuide: async () => ({}), discoverTenant: async () => ({}) } as never,
    });
    store.answers = answers({ address: "adele@contoso.com", services: ["imap"], audience: "any-organisation" });
    store.step = 4;
    store.setField("clientId", "not-an-id");
    expect(store.blockers).toEqual([]);
    await store.next();
    expect(checkField).toHaveBeenCalledTimes(1);
    expect(saveAccount).not.toHaveBeenCalled();
    expect(store.step).toBe(4);
    expect(store.blockers).toEqual(["Fix the Application (client) ID."]);

    verdict = "ok";
    store.setField("clientId", "6731de76-14a6-49ae-97bc-6eba6914391e");
    await store.next();
    expect(saveAccount).toHaveBeenCalledTimes(1);
    expect(store.step).toBe(5);
  });

  it("saves with replace once saved before, and passes the secret only when it applies", async () => {
    const saveAccount = vi.fn(async () => ({}) as never);
    const store = new WizardStore({ storage: null, ipc: { saveAccount } as never });
    store.answers = answers({ address: "adele@contoso.com", services: ["imap"], withSecret: true, secretExpires: "2027-05-01" });
    store.secret = "the-value";
    expect(await store.save()).toBe(true);
    store.answers.withSecret = false;
    store.secret = "left over";
    expect(await store.save()).toBe(true);
    expect(saveAccount.mock.calls.map((c: unknown[]) => c.slice(1))).toEqual([
      ["the-value", "2027-05-01", false],
      [null, null, true],
    ]);
  });

  it("a cancelled sign-in is not a failure; a refused one keeps its diagnosis", async () => {
    const refusal = { code: "sign-in", message: "refused", diagnosis: diagnosis("AADSTS50011", "app-owner") };
    let outcome: unknown = { code: "cancelled", message: "The sign-in was cancelled." };
    const store = new WizardStore({
      storage: null,
      ipc: {
        signIn: async () => {
          throw outcome;
        },
      } as never,
    });
    store.step = 5;
    await store.startSignIn();
    expect(store.signIn).toEqual({ status: "cancelled" });
    outcome = refusal;
    await store.startSignIn();
    expect(store.signIn).toEqual({ status: "failed", error: refusal });
  });
});

describe("diagnoses and results in words", () => {
  it("sends each failure to the step that fixes it", () => {
    expect(remedyFor(diagnosis("AADSTS65001", "you"))).toMatchObject({ kind: "step", step: 5 });
    expect(remedyFor(diagnosis("AADSTS_UNKNOWN", "it-admin", "consent_required"))).toMatchObject({ kind: "step", step: 5 });
    expect(remedyFor(diagnosis("AADSTS7000215", "app-owner"))).toMatchObject({ kind: "step", step: 4 });
    expect(remedyFor(diagnosis("AADSTS90002", "you"))).toMatchObject({ kind: "step", step: 4 });
    expect(remedyFor(diagnosis("AADSTS50011", "app-owner"))).toMatchObject({ kind: "step", step: 3 });
    expect(remedyFor(diagnosis("SMTP 5.7.139", "it-admin"))).toMatchObject({ kind: "admin" });
    expect(remedyFor(diagnosis("TIMEOUT", "microsoft"))).toMatchObject({ kind: "retry" });
  });

  it("writes the raw details as lines, not JSON", () => {
    const text = rawDetailText("AADSTS7000215", diagnosis("AADSTS7000215", "app-owner", "invalid_client").raw);
    expect(text).toBe(
      "Code: AADSTS7000215\nError: invalid_client\nDescription: AADSTS: raw words\nHTTP status: 400\nTrace ID: trace-1",
    );
    expect(text).not.toContain("{");
  });

  it("says what now works", () => {
    expect(whatWorks(["imap", "smtp"], ["imap", "smtp"])).toBe(
      "Mail programs can now read mail over IMAP and send over SMTP with Mailgrant's tokens.",
    );
    expect(whatWorks(["imap", "pop", "graph-read", "graph-send"], ["imap", "pop", "graph"])).toBe(
      "Mail programs can now read mail over IMAP, over POP and with Microsoft Graph and send with Microsoft Graph with Mailgrant's tokens.",
    );
    expect(whatWorks(["smtp"], ["smtp"])).toBe("Mail programs can now send over SMTP with Mailgrant's tokens.");
  });

  it("adds the failure to the IT admin's message and encodes the mail link", () => {
    const message = adminMessageFor("Hello,\n\n1. Grant consent.\n\nThank you!\n", diagnosis("SMTP 5.7.139", "it-admin"));
    expect(message).toContain("What Mailgrant ran into: Something failed (SMTP 5.7.139)");
    expect(message.indexOf("What Mailgrant ran into")).toBeLessThan(message.indexOf("Thank you!"));
    expect(adminMessageFor("Hi", null)).toBe("Hi");
    expect(mailtoHref("a & b", "line 1\nline 2")).toBe("mailto:?subject=a%20%26%20b&body=line%201%0Aline%202");
  });

  it("counts down and names the step", () => {
    expect(formatCountdown(754)).toBe("12:34");
    expect(formatCountdown(3725)).toBe("1:02:05");
    expect(formatCountdown(-3)).toBe("0:00");
    expect(stepIndicator(2)).toBe("Step 2 of 6 — Whose accounts");
  });
});
