import { describe, expect, it, vi } from "vitest";
import { rawDetailText } from "../diagnosis";
import type { Cloud, CloudCheck, CustomCloudFields, Diagnosis, Remedy, SignInEvent, WizardDraft } from "../ipc/client";
import {
  adminMessageFor,
  applies,
  clampStep,
  customCloudKey,
  draftFingerprint,
  emailDomain,
  emptyAnswers,
  formatCountdown,
  isPersonalAddress,
  isPersonalDomain,
  mailtoHref,
  remedyFor,
  restoreProgress,
  SELF_HELP_LABEL,
  serialiseProgress,
  stepBlockers,
  stepIndicator,
  STORAGE_KEY,
  toDraft,
  whatWorks,
  WizardStore,
  type Answers,
  type CloudCheckState,
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

function diagnosis(
  code: string,
  fixer: Diagnosis["fixer"],
  error: string | null = null,
  remedy: Remedy = "try-again",
): Diagnosis {
  return {
    code,
    title: "Something failed",
    explanation: "Because.",
    fixer,
    steps: ["Do this.", "Then that."],
    links: [],
    retryable: false,
    remedy,
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

const custom: CustomCloudFields = {
  authority: "https://login.example.net/",
  graph: "https://graph.example.net",
  graphResource: "",
  outlookResource: "",
  imap: "imap.example.net:993",
  smtp: "smtp.example.net:587",
  pop: "pop.example.net:995",
};

const customCloud: Cloud = {
  kind: "custom",
  authority: "https://login.example.net",
  graph: "https://graph.example.net",
  graph_resource: null,
  outlook_resource: "https://outlook.office.com",
  imap: { host: "imap.example.net", port: 993 },
  pop: { host: "pop.example.net", port: 995 },
  smtp: { host: "smtp.example.net", port: 587 },
};

/** Rust's answer about custom cloud fields: `problems`, or the cloud when there are none. */
function cloudAnswer(problems: Record<string, string> = {}): CloudCheck {
  return Object.keys(problems).length > 0 ? { cloud: null, problems } : { cloud: customCloud, problems: {} };
}

describe("the cloud in the draft", () => {
  it("is the chosen cloud, or the one Rust built from the custom fields (global until there is one)", () => {
    expect(toDraft(answers({ cloudKind: "us-gov", custom }), customCloud).cloud).toEqual({ kind: "us-gov" });
    expect(toDraft(answers({ cloudKind: "custom", custom }), customCloud).cloud).toEqual(customCloud);
    expect(toDraft(answers({ cloudKind: "custom", custom }), null).cloud).toEqual({ kind: "global" });
  });

  it("tells fields apart by what they hold", () => {
    expect(customCloudKey(custom)).toBe(customCloudKey({ ...custom }));
    expect(customCloudKey(custom)).not.toBe(customCloudKey({ ...custom, imap: "imap.example.net:143" }));
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
    // As Rust's handoff tells them apart: the brand and a public suffix, nothing more.
    expect(isPersonalDomain("Live.com.au")).toBe(true);
    expect(isPersonalDomain("windowslive.com")).toBe(true);
    expect(isPersonalDomain("outlook.office365.com")).toBe(false);
    expect(isPersonalDomain("live.contoso.com")).toBe(false);
    expect(isPersonalAddress("ada@hotmail.com")).toBe(true);
    expect(isPersonalAddress("ada@contoso.com")).toBe(false);
    expect(isPersonalAddress("ada")).toBe(false);
  });
});

describe("a personal Microsoft account", () => {
  /** A store at step 2 for `address`; the domain lookup finds an organisation for contoso.com only. */
  function atStep2(address: string, over: Partial<Answers> = {}) {
    const discoverTenant = vi.fn(async (draft: WizardDraft) => {
      if (draft.tenant === "contoso.com") return { tenantId: "tid", cloudInstance: null, regionScope: null };
      throw { code: "sign-in", message: "unknown" };
    });
    const store = new WizardStore({ storage: null, ipc: { discoverTenant, setupGuide: async () => ({}) } as never });
    store.answers = answers({ address, services: ["imap"], ...over });
    store.step = 2;
    return { store, discoverTenant };
  }

  it("gets the personal audience selected, without asking Microsoft about its domain", async () => {
    const { store, discoverTenant } = atStep2("ada@outlook.com");
    expect(store.personal).toBe(true);
    expect(store.personalAddress).toBe(true);
    await store.lookUpOrganisation();
    expect(store.orgLookup).toEqual({ status: "personal", domain: "outlook.com" });
    expect(store.answers.audience).toBe("personal");
    expect(applies(store.answers).tenantField).toBe(false);
    expect(store.draft.audience).toBe("personal");
    expect(discoverTenant).not.toHaveBeenCalled();
  });

  it("keeps the audience the user chose, and a background service's organisation", async () => {
    const chosen = atStep2("ada@hotmail.com").store;
    chosen.chooseAudience("any-organisation-and-personal");
    await chosen.lookUpOrganisation();
    expect(chosen.answers.audience).toBe("any-organisation-and-personal");
    expect(chosen.answers.audienceChosen).toBe(true);

    const service = atStep2("ada@hotmail.com", { appOnly: true }).store;
    await service.lookUpOrganisation();
    expect(service.answers.audience).toBe("my-organisation");
  });

  it("goes back to one organisation when the address changes to an organisation's", async () => {
    const { store } = atStep2("ada@live.com");
    await store.lookUpOrganisation();
    expect(store.answers.audience).toBe("personal");
    store.answers.address = "ada@contoso.com";
    await store.lookUpOrganisation();
    expect(store.orgLookup.status).toBe("found");
    expect(store.answers.audience).toBe("my-organisation");
    expect(store.personal).toBe(false);

    store.answers.address = "ada@nowhere.example";
    store.chooseAudience("personal");
    await store.lookUpOrganisation();
    expect(store.answers.audience).toBe("personal");
    expect(store.personal).toBe(true);
  });

  it("is offered what its owner can do in place of the IT admin", () => {
    const { store } = atStep2("ada@outlook.com");
    const admin = diagnosis("SMTP 5.7.139", "it-admin", null, "ask-admin");
    expect(remedyFor(admin, false)).toEqual({ kind: "admin", label: "Ask your IT admin" });
    const self = remedyFor(admin, true);
    expect(self).toEqual({ kind: "self", label: SELF_HELP_LABEL });
    store.remedy(self, admin);
    expect(store.selfHelpOpen).toBe(true);
    expect(store.selfHelpDiagnosis).toBe(admin);
    expect(store.adminOpen).toBe(false);
    store.closeSelfHelp();
    expect(store.selfHelpOpen).toBe(false);
    // Every other remedy is the same for everyone.
    expect(remedyFor(diagnosis("X", "you", null, "sign-in-again"), true)).toMatchObject({ kind: "step", step: 5 });
  });
});

describe("what blocks Next", () => {
  const ctx = (overrides: Partial<StepContext> = {}): StepContext => ({
    answers: answers(),
    cloudCheck: { checked: null, cloud: null, problems: {}, error: null },
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
      error: {
        code: "sign-in" as const,
        message: "x",
        diagnosis: diagnosis("AADSTS90002", "you", null, "correct-pasted-value"),
      },
    };
    const reasons = stepBlockers(4, ctx({ answers: a, checks, tenantLookup: unknown, needsSecret: true }));
    expect(reasons).toHaveLength(2);
    expect(reasons[0]).toMatch(/can't find this organisation/);
    expect(reasons[1]).toMatch(/client secret Value/);
    expect(stepBlockers(4, ctx({ answers: a, checks, needsSecret: true, upToDate: true }))).toEqual([]);
  });

  it("step 2 with a custom cloud waits for Rust's check of the fields as they are, and stops on a problem", () => {
    const a = answers({ cloudKind: "custom", custom });
    const checked = (over: Partial<CloudCheckState>): CloudCheckState => ({
      checked: custom,
      cloud: null,
      problems: {},
      error: null,
      ...over,
    });
    // Not checked yet: Next is not blocked, it waits for the check.
    expect(stepBlockers(2, ctx({ answers: a }))).toEqual([]);
    expect(stepBlockers(2, ctx({ answers: a, cloudCheck: checked({ cloud: customCloud }) }))).toEqual([]);
    expect(
      stepBlockers(2, ctx({ answers: a, cloudCheck: checked({ problems: { imap: "Required: host:port." } }) })),
    ).toEqual(["Complete the custom cloud's addresses."]);
    // An answer for other fields than those typed now does not count.
    const stale = checked({ checked: { ...custom, imap: "" }, cloud: customCloud });
    expect(stepBlockers(2, ctx({ answers: a, cloudCheck: stale }))).toEqual([]);
    const failed = checked({ error: { code: "internal", message: "the check stopped" } });
    expect(stepBlockers(2, ctx({ answers: a, cloudCheck: failed }))[0]).toMatch(/could not check/);
    // Another cloud is not checked at all.
    expect(stepBlockers(2, ctx({ answers: answers({ cloudKind: "china", custom }) }))).toEqual([]);
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

  it("keeps whether the user chose the audience", () => {
    const storage = memoryStorage();
    const first = new WizardStore({ storage, ipc: {} as never });
    first.answers = answers({ address: "ada@outlook.com", services: ["imap"] });
    first.chooseAudience("any-organisation");
    first.persist();
    const second = new WizardStore({ storage, ipc: {} as never });
    expect(second.answers.audience).toBe("any-organisation");
    expect(second.answers.audienceChosen).toBe(true);
    expect(restoreProgress(JSON.stringify({ version: 1, step: 2, answers: {} }))?.answers.audienceChosen).toBe(false);
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
    store.savedDraft = draftFingerprint(store.answers, null);
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

  it("has Rust check the custom cloud once typing pauses, shows its word by field, and drops stale answers", async () => {
    vi.useFakeTimers();
    const asked: { fields: CustomCloudFields; answer: (check: CloudCheck) => void }[] = [];
    const checkCloud = vi.fn(
      (fields: CustomCloudFields) => new Promise<CloudCheck>((answer) => asked.push({ fields, answer })),
    );
    const store = new WizardStore({ storage: null, debounceMs: 250, ipc: { checkCloud } as never });
    store.answers = answers({ address: "adele@contoso.com", services: ["imap"] });
    store.step = 2;
    store.setCloudKind("custom");
    await vi.advanceTimersByTimeAsync(0);
    expect(checkCloud).toHaveBeenCalledTimes(1);
    expect(store.blockers).toEqual([]);
    expect(store.draft.cloud).toEqual({ kind: "global" });

    for (const [key, value] of Object.entries(custom)) store.setCustomField(key as keyof CustomCloudFields, value);
    expect(store.answers.custom).toEqual(custom);
    await vi.advanceTimersByTimeAsync(300);
    expect(checkCloud).toHaveBeenCalledTimes(2);
    expect(asked[1].fields).toEqual(custom);

    // The answer about the empty fields comes late: it is not about what is typed now.
    asked[0].answer(cloudAnswer({ authority: "Required.", imap: "Required: host:port." }));
    await vi.advanceTimersByTimeAsync(0);
    expect(store.cloudCheck.problems).toEqual({});
    expect(store.cloudCheck.checked).toBeNull();
    asked[1].answer(cloudAnswer());
    await vi.advanceTimersByTimeAsync(0);
    expect(store.blockers).toEqual([]);
    expect(store.draft.cloud).toEqual(customCloud);

    // Typing again: the cloud is not the checked one any more until Rust answers.
    store.setCustomField("imap", "imap.example.net");
    expect(store.draft.cloud).toEqual({ kind: "global" });
    // Next right away waits for Rust's answer about what is typed now, and stays when it finds a problem.
    const pressed = store.next();
    expect(store.settling).toBe(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(asked[2].fields.imap).toBe("imap.example.net");
    asked[2].answer(cloudAnswer({ imap: "Write it as host:port, e.g. outlook.office365.com:993." }));
    await vi.advanceTimersByTimeAsync(0);
    await pressed;
    expect(store.step).toBe(2);
    expect(store.settling).toBe(false);
    expect(store.cloudCheck.problems.imap).toBe("Write it as host:port, e.g. outlook.office365.com:993.");
    expect(store.cloudProblem("imap")).toBe("Write it as host:port, e.g. outlook.office365.com:993.");
    expect(store.blockers).toEqual(["Complete the custom cloud's addresses."]);

    // A field's word is about the value it was checked with: another value hides it until Rust answers again.
    store.setCustomField("imap", "imap.example.net:99999");
    expect(store.cloudProblem("imap")).toBeNull();
    store.setCustomField("imap", "imap.example.net");
    expect(store.cloudProblem("imap")).toMatch(/host:port/);
    vi.useRealTimers();
  });

  it("checks a restored custom cloud, and Next on step 4 saves with the cloud Rust built", async () => {
    const storage = memoryStorage();
    const restored = answers({
      address: "adele@contoso.com",
      services: ["imap"],
      audience: "any-organisation",
      cloudKind: "custom",
      custom,
      clientId: "6731de76-14a6-49ae-97bc-6eba6914391e",
    });
    storage.setItem(
      STORAGE_KEY,
      serialiseProgress({ step: 4, answers: restored, saved: false, savedDraft: null, signedIn: false }),
    );
    const checkCloud = vi.fn(async () => cloudAnswer());
    const saveAccount = vi.fn(async (_draft: WizardDraft) => ({}) as never);
    const store = new WizardStore({
      storage,
      debounceMs: 60_000,
      ipc: { checkCloud, saveAccount, setupGuide: async () => ({}), discoverTenant: async () => ({}) } as never,
    });
    expect(store.step).toBe(4);
    await store.next();
    expect(checkCloud).toHaveBeenCalledWith(custom);
    expect(saveAccount).toHaveBeenCalledTimes(1);
    expect(saveAccount.mock.calls[0][0].cloud).toEqual(customCloud);
    expect(store.step).toBe(5);
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
    expect(store.signIn?.outcome).toEqual({ status: "cancelled", superseded: false });
    expect(store.signedIn).toBe(false);
    outcome = refusal;
    await store.startSignIn();
    expect(store.signIn?.outcome).toEqual({ status: "failed", error: refusal });
    expect(store.step).toBe(5);
  });

  it("signs in with live events and goes on to step 6; a sign-in given up on is dropped", async () => {
    const calls: string[] = [];
    const held: { resolve?: (health: unknown) => void; emit?: (event: SignInEvent) => void } = {};
    const store = new WizardStore({
      storage: null,
      ipc: {
        signIn: (name: string, onEvent: (event: SignInEvent) => void) => {
          calls.push(`signIn ${name}`);
          held.emit = onEvent;
          return new Promise((resolve) => (held.resolve = resolve));
        },
        cancelSignIn: async () => {
          calls.push("cancel");
          return true;
        },
        testAccount: () => new Promise(() => {}),
      } as never,
    });
    store.answers = answers({ address: "adele@contoso.com", services: ["imap"] });
    store.step = 5;
    const first = store.startSignIn();
    expect(store.signInWaiting).toBe(true);
    held.emit?.({ kind: "deviceCode", userCode: "ABCD-EFGH", verificationUri: "https://microsoft.com/devicelogin", expiresInSecs: 900 });
    expect(store.signIn?.event?.kind).toBe("deviceCode");
    expect(store.signIn?.codeExpiresAt).toBe(store.signIn!.eventAt + 900);
    // Starting over cancels it, and its late success changes nothing.
    const late = held.resolve;
    store.startOver();
    expect(calls).toEqual(["signIn adele@contoso.com", "cancel"]);
    expect(store.signIn).toBeNull();
    late?.({});
    await first;
    expect(store.signedIn).toBe(false);
    expect(store.step).toBe(1);

    store.answers = answers({ address: "adele@contoso.com", services: ["imap"] });
    store.step = 5;
    const second = store.startSignIn();
    held.resolve?.({});
    await second;
    expect(store.signedIn).toBe(true);
    expect(store.signIn).toBeNull();
    expect(store.step).toBe(6);
  });
});

describe("diagnoses and results in words", () => {
  it("offers what Rust says fixes the failure, whatever its code", () => {
    const offered = (remedy: Remedy) => remedyFor(diagnosis("ANY", "you", null, remedy));
    expect(offered("sign-in-again")).toEqual({ kind: "step", step: 5, label: "Sign in again" });
    expect(offered("correct-pasted-value")).toEqual({ kind: "step", step: 4, label: "Correct what you pasted (step 4)" });
    expect(offered("review-registration")).toEqual({
      kind: "step",
      step: 3,
      label: "Review the app registration (step 3)",
    });
    expect(offered("ask-admin")).toEqual({ kind: "admin", label: "Ask your IT admin" });
    expect(offered("try-again")).toEqual({ kind: "retry", label: "Try again" });
    // The code and who fixes it no longer decide: a consent code Rust sends back to step 3 goes to step 3.
    expect(remedyFor(diagnosis("AADSTS65001", "it-admin", "consent_required", "review-registration"))).toMatchObject({
      step: 3,
    });
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
    // The problem leads, right after the greeting; the details for support close it.
    expect(message.startsWith("Hello,\n\nMailgrant ran into this: Something failed (SMTP 5.7.139).\nBecause.")).toBe(true);
    expect(message.indexOf("Mailgrant ran into")).toBeLessThan(message.indexOf("1. Grant consent."));
    expect(message.indexOf("Details for support")).toBeGreaterThan(message.indexOf("1. Grant consent."));
    expect(message.indexOf("Details for support")).toBeLessThan(message.indexOf("Thank you!"));
    expect(adminMessageFor("Hi", null)).toBe("Hi");
    // In the app's words: what to click, not a command to run.
    const withSteps = { ...diagnosis("SMTP 5.7.139", "it-admin"), steps: ["Then test the account again."] };
    expect(adminMessageFor("Hello", withSteps)).toContain("1. Then test the account again.");
    expect(mailtoHref("a & b", "line 1\nline 2")).toBe("mailto:?subject=a%20%26%20b&body=line%201%0Aline%202");
  });

  it("counts down and names the step", () => {
    expect(formatCountdown(754)).toBe("12:34");
    expect(formatCountdown(3725)).toBe("1:02:05");
    expect(formatCountdown(-3)).toBe("0:00");
    expect(stepIndicator(2)).toBe("Step 2 of 6 — Whose accounts");
  });
});

describe("step 1: what will use the mailbox", () => {
  it("preselects the services from the answer, and moves the background service under Advanced", () => {
    const store = new WizardStore({ storage: null, ipc: { productPresets: async () => [] } as never });
    expect(store.blockers).toContain("Choose what will use the mailbox.");
    store.chooseUse("device");
    expect(store.answers).toMatchObject({ use: "device", services: ["smtp"], appOnly: false, forProduct: false });
    store.chooseUse("mail-program");
    expect(store.answers.services).toEqual(["imap", "smtp"]);
    // The checkboxes still change it.
    store.toggleService("pop", true);
    expect(store.answers.services).toEqual(["imap", "smtp", "pop"]);
    store.chooseAudience("any-organisation");
    store.chooseUse("service");
    expect(store.answers).toMatchObject({ use: "service", appOnly: true, services: ["imap"], audience: "my-organisation" });
    store.chooseUse("product");
    expect(store.answers).toMatchObject({ use: "product", forProduct: true, appOnly: false });
    store.chooseUse("website");
    expect(store.answers).toMatchObject({ use: "website", forProduct: false, product: "", services: ["smtp"] });
  });

  it("sends the Object ID only for a background service, and keeps it to resume", () => {
    const service = answers({ use: "service", appOnly: true, services: ["imap"], enterpriseObjectId: " abc " });
    expect(toDraft(service).enterpriseObjectId).toBe("abc");
    expect(toDraft({ ...service, appOnly: false }).enterpriseObjectId).toBe("");
    const text = serialiseProgress({ step: 4, answers: service, saved: false, savedDraft: null, signedIn: false });
    expect(restoreProgress(text)?.answers).toMatchObject({ use: "service", enterpriseObjectId: " abc " });
    expect(restoreProgress(text.replace('"use":"service"', '"use":"bogus"'))?.answers.use).toBe("");
  });
});

describe("step 5: a code Microsoft showed in the browser", () => {
  it("is explained by Rust, or said to be unknown", async () => {
    const known = diagnosis("AADSTS50011", "app-owner", null, "review-registration");
    const explainCode = vi.fn(async (code: string) => (code === "AADSTS50011" ? known : null));
    const store = new WizardStore({ storage: null, ipc: { explainCode } as never });
    await store.explainBrowserCode("  AADSTS50011 ");
    expect(explainCode).toHaveBeenCalledWith("AADSTS50011");
    expect(store.browserCode).toEqual({ status: "found", code: "AADSTS50011", diagnosis: known });
    await store.explainBrowserCode("123");
    expect(store.browserCode).toEqual({ status: "unknown", code: "123" });
    await store.explainBrowserCode(" ");
    expect(store.browserCode).toEqual({ status: "idle" });
  });
});

describe("asking the IT admin", () => {
  it("offers 'register it for me' before the IDs are pasted, and 'approve it' after or for a failure", () => {
    const store = new WizardStore({ storage: null, ipc: { setupGuide: async () => ({}) } as never });
    store.guide = { adminMessage: "Hello,\n\nApprove.\n\nThank you!\n", registerMessage: "Register, please." } as never;
    store.openAdmin();
    expect(store.adminRequest).toBe("register");
    expect(store.adminMessage).toBe("Register, please.");
    store.step = 4;
    store.openAdmin();
    expect(store.adminRequest).toBe("approve");
    store.step = 2;
    store.openAdmin(diagnosis("SMTP 5.7.139", "it-admin", null, "ask-admin"));
    expect(store.adminRequest).toBe("approve");
    expect(store.adminMessage).toContain("Mailgrant ran into this");
  });
});
