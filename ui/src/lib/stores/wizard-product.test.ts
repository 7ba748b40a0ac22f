// The wizard's "for another product" mode: the preset's answers, the product's redirect URI, saved progress, and
// the hand-over values asked of Rust once the mailbox is connected.
import { describe, expect, it, vi } from "vitest";
import type { HandOver, ProbeReport, ProductPreset } from "../ipc/client";
import {
  applies,
  applyPreset,
  emptyAnswers,
  productRedirectProblem,
  restoreProgress,
  serialiseProgress,
  stepBlockers,
  toDraft,
  UNCHECKED_CLOUD,
  WizardStore,
  type Answers,
  type StepContext,
} from "./wizard.svelte";

const jira: ProductPreset = {
  id: "email-this-issue",
  name: "Email This Issue (Jira)",
  userSignsIn: true,
  redirectUriFrom: "the Callback URL in the app's OAuth2 Client Credentials dialog",
  services: ["imap", "smtp"],
  notes: [],
};
const service: ProductPreset = {
  id: "background-service",
  name: "A background service (no user signs in)",
  userSignsIn: false,
  redirectUriFrom: "",
  services: ["imap", "pop", "smtp"],
  notes: ["An admin grants consent for the organisation."],
};

function answers(overrides: Partial<Answers> = {}): Answers {
  return { ...emptyAnswers(), ...overrides };
}

function step1(a: Answers): string[] {
  const idle = { status: "idle" } as const;
  const ctx: StepContext = {
    answers: a,
    cloudCheck: UNCHECKED_CLOUD,
    checks: { clientId: idle, tenant: idle, clientSecret: idle },
    tenantLookup: idle,
    needsSecret: false,
    secret: "",
    upToDate: false,
    signedIn: false,
  };
  return stepBlockers(1, ctx);
}

describe("the product's redirect URI", () => {
  it("takes an https:// address or http://localhost, and says why not otherwise", () => {
    expect(productRedirectProblem("https://jira.example.com/plugins/servlet/oauth2")).toBeNull();
    expect(productRedirectProblem("  https://mail.example.org/oauth ")).toBeNull();
    expect(productRedirectProblem("http://localhost:3000/oauth")).toBeNull();
    expect(productRedirectProblem("http://localhost")).toBeNull();
    expect(productRedirectProblem("")).toBe("Enter the redirect URI the product shows.");
    expect(productRedirectProblem("http://jira.example.com/cb")).toMatch(/must start with https:\/\//);
    expect(productRedirectProblem("http://localhost.evil.com/cb")).toMatch(/must start with https:\/\//);
    expect(productRedirectProblem("http://127.0.0.1:3000/oauth")).toMatch(/http:\/\/localhost/);
    expect(productRedirectProblem("jira.example.com")).toMatch(/must start with/);
    expect(productRedirectProblem("https://jira example.com")).toMatch(/no spaces/);
  });
});

describe("a product's preset", () => {
  it("makes a Web app with a client secret when a user signs in through the product", () => {
    const a = applyPreset(answers({ services: ["graph-read"], flow: "device-code", productRedirectUri: "https://x.example/cb" }), jira);
    expect(a).toMatchObject({ forProduct: true, product: "email-this-issue", services: ["imap", "smtp"] });
    expect(a.appOnly).toBe(false);
    expect(a.withSecret).toBe(true);
    expect(a.productRedirectUri).toBe("https://x.example/cb");
    const ap = applies(a);
    expect(ap).toMatchObject({ flowChoice: false, secretChoice: false, redirectChoice: false, secretFields: true });
    const draft = toDraft(a);
    expect(draft).toMatchObject({ appOnly: false, withSecret: true, flow: "auth-code", redirect: "loopback" });
  });

  it("makes the app itself (app-only) when no one signs in, without a redirect URI", () => {
    const a = applyPreset(answers({ productRedirectUri: "https://x.example/cb" }), service);
    expect(a).toMatchObject({ appOnly: true, withSecret: false, productRedirectUri: "", services: ["imap", "pop", "smtp"] });
    expect(applies(a)).toMatchObject({ flowChoice: false, tenantField: true, secretFields: true });
    expect(toDraft(a)).toMatchObject({ appOnly: true, withSecret: false });
  });

  it("keeps step 1's Next until the product and its redirect URI are given", () => {
    const base = { address: "adele@contoso.com", services: ["imap" as const] };
    expect(step1(answers({ ...base, forProduct: true }))).toEqual(["Choose the product."]);
    const chosen = applyPreset(answers(base), jira);
    expect(step1(chosen)).toEqual(["Enter the redirect URI the product shows."]);
    expect(step1({ ...chosen, productRedirectUri: "http://jira.example.com" })).toHaveLength(1);
    expect(step1({ ...chosen, productRedirectUri: "https://jira.example.com/cb" })).toEqual([]);
    expect(step1(applyPreset(answers(base), service))).toEqual([]); // no redirect URI for app-only
  });

  it("is saved to resume (never the secret), and dropped when the mode is off", () => {
    const a = applyPreset(answers({ address: "a@b.co", productRedirectUri: "https://jira.example.com/cb" }), jira);
    const text = serialiseProgress({ step: 3, answers: a, saved: false, savedDraft: null, signedIn: false });
    expect(text).not.toMatch(/secret"?:\s*"[^"]/i);
    const restored = restoreProgress(text);
    expect(restored?.answers).toMatchObject({ forProduct: true, product: "email-this-issue", productRedirectUri: "https://jira.example.com/cb" });
    const off = restoreProgress(text.replace('"forProduct":true', '"forProduct":false'));
    expect(off?.answers).toMatchObject({ forProduct: false, product: "", productRedirectUri: "" });
    expect(restoreProgress(serialiseProgress({ step: 1, answers: emptyAnswers(), saved: false, savedDraft: null, signedIn: false }))?.answers.forProduct).toBe(false);
  });
});

describe("the wizard store in product mode", () => {
  const handOver: HandOver = {
    product: jira.name,
    clientId: "cid",
    tenantId: "tid",
    authority: "https://login.microsoftonline.com/tid",
    authorizeUrl: "https://login.microsoftonline.com/tid/oauth2/v2.0/authorize",
    tokenUrl: "https://login.microsoftonline.com/tid/oauth2/v2.0/token",
    scopes: ["https://outlook.office.com/IMAP.AccessAsUser.All", "offline_access"],
    redirectUri: "https://jira.example.com/cb",
    servers: [],
    userName: "adele@contoso.com",
    secretHint: "Xk5",
  };
  const ok = { outcome: { status: "ok" }, protocol: "imap", server: "s", layers: [] } as unknown as ProbeReport;

  function store() {
    const ipc = {
      productPresets: vi.fn(async () => [jira, service]),
      handOver: vi.fn(async () => handOver),
      testAccount: vi.fn(async () => [ok]),
    };
    return { ipc, wizard: new WizardStore({ storage: null, ipc: ipc as never }) };
  }

  it("loads the presets once, and a chosen product sets the answers", async () => {
    const { ipc, wizard } = store();
    wizard.setForProduct(true);
    await wizard.loadPresets();
    await wizard.loadPresets();
    expect(ipc.productPresets).toHaveBeenCalledTimes(1);
    expect(wizard.preset).toBeNull();
    wizard.chooseProduct("background-service");
    expect(wizard.preset?.name).toBe(service.name);
    expect(wizard.answers.appOnly).toBe(true);
    wizard.chooseProduct("email-this-issue");
    expect(wizard.answers).toMatchObject({ appOnly: false, withSecret: true, product: "email-this-issue" });
    wizard.setForProduct(false);
    expect(wizard.answers).toMatchObject({ forProduct: false, product: "", withSecret: false, appOnly: false });
    expect(wizard.preset).toBeNull();
  });

  it("says when the presets cannot be listed", async () => {
    const { wizard } = store();
    const failing = new WizardStore({
      storage: null,
      ipc: { productPresets: async () => Promise.reject({ code: "unexpected", message: "boom" }) } as never,
    });
    await failing.loadPresets();
    expect(failing.presetsError?.message).toBe("boom");
    expect(wizard.presetsError).toBeNull();
  });

  it("asks Rust for the hand-over once connected, with the product and its redirect URI", async () => {
    const { ipc, wizard } = store();
    await wizard.loadPresets();
    wizard.answers.address = "adele@contoso.com";
    wizard.chooseProduct("email-this-issue");
    wizard.answers.productRedirectUri = " https://jira.example.com/cb ";
    await wizard.prove();
    expect(wizard.connected).toBe(true);
    await vi.waitFor(() => expect(wizard.handOver).toEqual(handOver));
    expect(ipc.handOver).toHaveBeenCalledWith("adele@contoso.com", "email-this-issue", "https://jira.example.com/cb");
  });

  it("asks without a redirect URI for app-only, and not at all outside product mode", async () => {
    const { ipc, wizard } = store();
    await wizard.loadPresets();
    wizard.answers.address = "svc@contoso.com";
    wizard.chooseProduct("background-service");
    await wizard.loadHandOver();
    expect(ipc.handOver).toHaveBeenLastCalledWith("svc@contoso.com", "background-service", null);

    const plain = store();
    plain.wizard.answers.address = "adele@contoso.com";
    await plain.wizard.prove();
    expect(plain.wizard.connected).toBe(true);
    expect(plain.ipc.handOver).not.toHaveBeenCalled();
  });
});
