// The "Connect a mailbox" wizard: the answers (a non-secret draft, saved in localStorage so closing the window
// resumes where the user was), which steps and fields apply to them, and the calls to Rust each step makes.
// The pure functions at the top decide which questions apply and what blocks Next, and are unit-tested; the domain
// rules (what a pasted value or a custom cloud's address must be, what fixes a failure) are Rust's, asked over IPC.
// The class holds the state and the waits.
import {
  ipc as realIpc,
  type AccountAudience,
  type AccountHealth,
  type CheckedField,
  type Cloud,
  type CloudCheck,
  type CustomCloudFields,
  type Diagnosis,
  type Flow,
  type HandOver,
  type IpcError,
  type ProbeProgress,
  type ProbeReport,
  type ProductPreset,
  type Protocol,
  type RedirectMode,
  type Remedy,
  type Service,
  type SetupGuide,
  type TenantFound,
  type WizardDraft,
} from "../ipc/client";
import type { LayerReport } from "../ipc/bindings/LayerReport";
import { appWords, rawDetailText } from "../diagnosis";
import { FieldChecker, type CheckState } from "./field-check.svelte";
import { signInsFor, type SignInSession, type SignIns } from "./sign-in.svelte";
import { emailDomain, isEmailAddress, isPersonalAddress, isPersonalDomain } from "../format/address";

export type { CheckState };

// ------------------------------------------------------------------------------------------------ the steps

export const STEP_COUNT = 6;
export type StepNumber = 1 | 2 | 3 | 4 | 5 | 6;

export const STEPS: readonly { title: string; short: string }[] = [
  { title: "What the mailbox should do", short: "What it does" },
  { title: "Whose accounts", short: "Whose accounts" },
  { title: "Register the app", short: "Register" },
  { title: "Paste what Entra gave you", short: "Paste IDs" },
  { title: "Sign in", short: "Sign in" },
  { title: "Prove it works", short: "Prove it" },
];

export function stepTitle(step: StepNumber): string {
  return STEPS[step - 1].title;
}

/** "Step 2 of 6 — Whose accounts" */
export function stepIndicator(step: StepNumber): string {
  return `Step ${step} of ${STEP_COUNT} — ${stepTitle(step)}`;
}

export function clampStep(n: unknown): StepNumber {
  const step = typeof n === "number" && Number.isInteger(n) ? n : 1;
  return Math.min(STEP_COUNT, Math.max(1, step)) as StepNumber;
}

// ------------------------------------------------------------------------------------------------ the answers

export type { Flow, Service };
export type Redirect = RedirectMode;
export type CloudKind = Cloud["kind"];

export const SERVICES: readonly { value: Service; label: string }[] = [
  { value: "imap", label: "Read mail over IMAP" },
  { value: "pop", label: "Read mail over POP" },
  { value: "smtp", label: "Send mail (SMTP)" },
  { value: "graph-read", label: "Read mail with Microsoft Graph" },
  { value: "graph-send", label: "Send mail with Microsoft Graph" },
];

/** What will use the mailbox: step 1's first question, which preselects the services. */
export type UseKind = "mail-program" | "device" | "website" | "script" | "product" | "service";

export const USES: readonly { value: UseKind; label: string; hint: string; services: readonly Service[] }[] = [
  {
    value: "mail-program",
    label: "A mail program",
    hint: "Thunderbird, Apple Mail, Outlook, mutt… to read and send mail.",
    services: ["imap", "smtp"],
  },
  {
    value: "device",
    label: "A scanner, copier or other device",
    hint: "It sends what it scans, or alerts, by email.",
    services: ["smtp"],
  },
  {
    value: "website",
    label: "A website or plugin",
    hint: "A contact form or a WordPress mail plugin that sends mail.",
    services: ["smtp"],
  },
  {
    value: "script",
    label: "A script or command-line tool",
    hint: "msmtp, mbsync, fetchmail, git send-email, your own script.",
    services: ["imap", "smtp"],
  },
  {
    value: "product",
    // The real app's WebDriver suite picks this option by its label.
    label: "For another product (it asks for a client ID and secret)",
    hint: "A Jira mail app, EmailEngine or a helpdesk that signs in itself: Mailgrant registers it, proves it works, and lists the values to give it.",
    services: [],
  },
];

/** Under "Advanced / for IT": no one signs in. */
export const SERVICE_USE = {
  value: "service" as const,
  label: "An unattended background service (no one signs in)",
  hint: "For servers: the app proves who it is with a client secret instead of a person signing in. An IT admin approves it for your organisation and gives it access to the mailbox.",
  services: ["imap"] as readonly Service[],
};

export const AUDIENCES: readonly { value: AccountAudience; label: string; hint: string }[] = [
  {
    value: "my-organisation",
    label: "Only people in my organisation",
    hint: "Work or school accounts of one organisation. The usual choice for a company mailbox.",
  },
  {
    value: "any-organisation",
    label: "People in any organisation",
    hint: "Work or school accounts of any organisation (multitenant).",
  },
  {
    value: "any-organisation-and-personal",
    label: "Any organisation, and personal Microsoft accounts",
    hint: "Work, school, and personal accounts such as Outlook.com or Hotmail.",
  },
  {
    value: "personal",
    label: "Personal Microsoft accounts only",
    hint: "Outlook.com, Hotmail and Live mailboxes.",
  },
];

/** Where someone with only a personal Microsoft account gets a Microsoft Entra directory to register the app in. */
export const FREE_AZURE_ACCOUNT_URL = "https://azure.microsoft.com/free/";

export const CLOUDS: readonly { value: CloudKind; label: string }[] = [
  { value: "global", label: "Global (default)" },
  { value: "us-gov", label: "US Government (GCC High)" },
  { value: "us-gov-dod", label: "US Government (DoD)" },
  { value: "china", label: "China (21Vianet)" },
  { value: "custom", label: "Custom (advanced)" },
];

export const REDIRECTS: readonly { value: Redirect; label: string }[] = [
  { value: "loopback", label: "Straight back to Mailgrant (recommended)" },
  { value: "paste", label: "I copy the address the browser ends on and paste it" },
  { value: "deep-link", label: "Through a mailgrant:// link" },
];

export type { CustomCloudFields };

export const CUSTOM_CLOUD_LABELS: Record<keyof CustomCloudFields, string> = {
  authority: "Sign-in address (authority)",
  graph: "Microsoft Graph address",
  graphResource: "Graph token audience (optional)",
  outlookResource: "Mail token audience (optional)",
  imap: "IMAP server",
  smtp: "SMTP server",
  pop: "POP server",
};

/** The custom cloud's fields, in the order they are asked. */
export const CUSTOM_CLOUD_FIELDS: readonly (keyof CustomCloudFields)[] = [
  "authority",
  "graph",
  "graphResource",
  "outlookResource",
  "imap",
  "smtp",
  "pop",
];

/** The fields as one string, to tell whether a check answered for the fields as they are now. */
export function customCloudKey(custom: CustomCloudFields): string {
  return JSON.stringify(CUSTOM_CLOUD_FIELDS.map((key) => custom[key]));
}

/** Everything the user answered, as typed. Non-secret: this is what is saved to resume. */
export interface Answers {
  address: string;
  /** What will use the mailbox ("" until chosen; ticking services directly works too). */
  use: UseKind | "";
  services: Service[];
  appOnly: boolean;
  withSecret: boolean;
  audience: AccountAudience;
  /** The user picked the audience (Mailgrant no longer selects the one it suggests). */
  audienceChosen: boolean;
  cloudKind: CloudKind;
  custom: CustomCloudFields;
  flow: Flow;
  redirect: Redirect;
  tenant: string;
  clientId: string;
  /** "YYYY-MM-DD", or "" */
  secretExpires: string;
  /** For another product (a Jira mail app, EmailEngine…) that asks for a client ID and secret of its own. */
  forProduct: boolean;
  /** The product's preset id (`product_presets`), or "" while none is chosen. */
  product: string;
  /** The redirect (callback) URI the product shows, when a user signs in through it. */
  productRedirectUri: string;
  /** A background service: the Enterprise application's Object ID, which the Exchange PowerShell names. */
  enterpriseObjectId: string;
}

export function emptyAnswers(): Answers {
  return {
    address: "",
    use: "",
    services: [],
    appOnly: false,
    withSecret: false,
    audience: "my-organisation",
    audienceChosen: false,
    cloudKind: "global",
    custom: { authority: "", graph: "", graphResource: "", outlookResource: "", imap: "", smtp: "", pop: "" },
    flow: "auth-code",
    redirect: "loopback",
    tenant: "",
    clientId: "",
    secretExpires: "",
    forProduct: false,
    product: "",
    productRedirectUri: "",
    enterpriseObjectId: "",
  };
}

// ------------------------------------------------------------------------------------------------ another product

/**
 * What is wrong with the product's redirect URI, in plain words (null: nothing). Microsoft takes an https:// address,
 * or http://localhost for a product on the same computer.
 */
export function productRedirectProblem(uri: string): string | null {
  const text = uri.trim();
  if (text === "") return "Enter the redirect URI the product shows.";
  if (/\s/.test(text)) return "The redirect URI has no spaces: copy it again from the product.";
  if (/^https:\/\/[^/?#:]+/i.test(text) || /^http:\/\/localhost(?=[:/?#]|$)/i.test(text)) return null;
  return "The redirect URI must start with https:// (or http://localhost for a product on this computer).";
}

/**
 * The answers for a product's preset: its services, and a confidential app: a "Web" app with a client secret when a
 * user signs in through the product, or the app itself (app-only) when no one does.
 */
export function applyPreset(answers: Answers, preset: ProductPreset): Answers {
  return {
    ...answers,
    forProduct: true,
    product: preset.id,
    services: SERVICES.map((s) => s.value).filter((s) => preset.services.includes(s)),
    appOnly: !preset.userSignsIn,
    withSecret: preset.userSignsIn,
    flow: "auth-code",
    productRedirectUri: preset.userSignsIn ? answers.productRedirectUri : "",
  };
}

// Kept in format/address.ts (the dashboard uses them without loading the wizard), exported here as before.
export { emailDomain, isEmailAddress, isPersonalAddress, isPersonalDomain };

/** Which questions and fields apply to these answers. */
export interface Applies {
  /** "How will you sign in?": not for a background service. */
  flowChoice: boolean;
  /** "My organisation requires a client secret": only for a browser sign-in. */
  secretChoice: boolean;
  /** "Advanced: how the browser returns": only for a browser sign-in without a secret (a Web app uses loopback). */
  redirectChoice: boolean;
  customCloud: boolean;
  /** "Directory (tenant) ID": a single-organisation app or a background service. */
  tenantField: boolean;
  /** The client secret's Value and expiry. */
  secretFields: boolean;
}

export function applies(answers: Answers): Applies {
  // A product signs its users in through a browser, with a client secret: there is nothing to choose.
  const product = answers.forProduct;
  const browser = !answers.appOnly && (product || answers.flow === "auth-code");
  const confidential = answers.appOnly || (browser && (product || answers.withSecret));
  return {
    flowChoice: !answers.appOnly && !product,
    secretChoice: browser && !product,
    redirectChoice: browser && !product && !answers.withSecret,
    customCloud: answers.cloudKind === "custom",
    tenantField: answers.appOnly || answers.audience === "my-organisation",
    secretFields: confidential,
  };
}

/**
 * The draft Rust takes, from the answers (the account's name is its address). `customCloud`: the cloud Rust built
 * from the custom cloud's fields as they are now (null while they are incomplete or not checked yet).
 */
export function toDraft(answers: Answers, customCloud: Cloud | null = null): WizardDraft {
  const a = applies(answers);
  const address = answers.address.trim();
  return {
    name: address,
    address,
    services: SERVICES.map((s) => s.value).filter((s) => answers.services.includes(s)),
    appOnly: answers.appOnly,
    withSecret: answers.forProduct ? !answers.appOnly : a.secretChoice && answers.withSecret,
    audience: answers.audience,
    // An incomplete custom cloud cannot go past step 2; before that the guide speaks of the global cloud.
    cloud:
      answers.cloudKind === "custom" ? (customCloud ?? { kind: "global" }) : ({ kind: answers.cloudKind } as Cloud),
    flow: answers.forProduct ? "auth-code" : answers.flow,
    redirect: a.redirectChoice ? answers.redirect : "loopback",
    tenant: a.tenantField ? answers.tenant.trim() : "",
    clientId: answers.clientId.trim(),
    sharedMailbox: null,
    enterpriseObjectId: answers.appOnly ? answers.enterpriseObjectId.trim() : "",
  };
}

// ------------------------------------------------------------------------------------------------ saving progress

export const STORAGE_KEY = "mailgrant.connect-wizard";
const STORAGE_VERSION = 1;

/** What is kept to resume: never the client secret. */
export interface Progress {
  step: StepNumber;
  answers: Answers;
  /** The account has been saved at least once (the next save replaces it). */
  saved: boolean;
  /** The draft as last saved, to skip saving again when nothing changed. */
  savedDraft: string | null;
  signedIn: boolean;
}

export function serialiseProgress(progress: Progress): string {
  const { step, answers, saved, savedDraft, signedIn } = progress;
  return JSON.stringify({ version: STORAGE_VERSION, step, answers, saved, savedDraft, signedIn });
}

function pickString(value: unknown, fallback: string): string {
  return typeof value === "string" ? value : fallback;
}

function pickOne<T extends string>(value: unknown, allowed: readonly T[], fallback: T): T {
  return allowed.includes(value as T) ? (value as T) : fallback;
}

/** Reads saved progress; anything missing, unknown or malformed falls back to a fresh start. */
export function restoreProgress(text: string | null): Progress | null {
  if (!text) return null;
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text);
  } catch {
    return null;
  }
  if (!raw || typeof raw !== "object" || raw.version !== STORAGE_VERSION) return null;
  const fresh = emptyAnswers();
  const a = (raw.answers && typeof raw.answers === "object" ? raw.answers : {}) as Record<string, unknown>;
  const c = (a.custom && typeof a.custom === "object" ? a.custom : {}) as Record<string, unknown>;
  const custom = { ...fresh.custom };
  for (const key of CUSTOM_CLOUD_FIELDS) custom[key] = pickString(c[key], "");
  const answers: Answers = {
    address: pickString(a.address, ""),
    use: pickOne(a.use, [...USES.map((u) => u.value), SERVICE_USE.value, ""] as const, ""),
    services: Array.isArray(a.services)
      ? SERVICES.map((s) => s.value).filter((s) => (a.services as unknown[]).includes(s))
      : [],
    appOnly: a.appOnly === true,
    withSecret: a.withSecret === true,
    audience: pickOne(
      a.audience,
      AUDIENCES.map((x) => x.value),
      fresh.audience,
    ),
    audienceChosen: a.audienceChosen === true,
    cloudKind: pickOne(
      a.cloudKind,
      CLOUDS.map((x) => x.value),
      fresh.cloudKind,
    ),
    custom,
    flow: pickOne(a.flow, ["auth-code", "device-code"] as const, fresh.flow),
    redirect: pickOne(
      a.redirect,
      REDIRECTS.map((x) => x.value),
      fresh.redirect,
    ),
    tenant: pickString(a.tenant, ""),
    clientId: pickString(a.clientId, ""),
    secretExpires: pickString(a.secretExpires, ""),
    forProduct: a.forProduct === true,
    product: a.forProduct === true ? pickString(a.product, "") : "",
    productRedirectUri: a.forProduct === true ? pickString(a.productRedirectUri, "") : "",
    enterpriseObjectId: pickString(a.enterpriseObjectId, ""),
  };
  const saved = raw.saved === true;
  let step = clampStep(raw.step);
  // Signing in and testing need the saved account.
  if (step >= 5 && !saved) step = 4;
  return {
    step,
    answers,
    saved,
    savedDraft: saved && typeof raw.savedDraft === "string" ? raw.savedDraft : null,
    signedIn: saved && raw.signedIn === true,
  };
}

export function draftFingerprint(answers: Answers, customCloud: Cloud | null = null): string {
  return JSON.stringify(toDraft(answers, customCloud));
}

// ------------------------------------------------------------------------------------------------ what blocks Next

export type TenantLookup =
  | { status: "idle" }
  | { status: "looking"; value: string }
  | { status: "found"; value: string; found: TenantFound }
  | { status: "failed"; value: string; error: IpcError };

/**
 * Rust's check of the custom cloud's fields: the problems by field name and, when there is none, the cloud.
 * `checked`: the fields it answered for (null before any answer).
 */
export interface CloudCheckState extends CloudCheck {
  checked: CustomCloudFields | null;
  /** The check itself failed (not the fields). */
  error: IpcError | null;
}

export const UNCHECKED_CLOUD: CloudCheckState = { checked: null, cloud: null, problems: {}, error: null };

/** The check answered for the fields as they are now (not for what was typed before). */
export function cloudCheckCurrent(check: CloudCheckState, custom: CustomCloudFields): boolean {
  return check.checked !== null && customCloudKey(check.checked) === customCloudKey(custom);
}

/** What Rust found wrong with one field, if its check was of the value typed now. */
export function cloudProblem(
  check: CloudCheckState,
  custom: CustomCloudFields,
  key: keyof CustomCloudFields,
): string | null {
  if (check.checked === null || check.checked[key] !== custom[key]) return null;
  return check.problems[key] ?? null;
}

/**
 * A failed tenant lookup that means the tenant does not exist (as opposed to, say, no network): Rust's diagnosis
 * says the value pasted is what to correct.
 */
export function tenantUnknown(lookup: TenantLookup): boolean {
  return lookup.status === "failed" && lookup.error.diagnosis?.remedy === "correct-pasted-value";
}

export interface StepContext {
  answers: Answers;
  /** Rust's latest answer about the custom cloud's fields. */
  cloudCheck: CloudCheckState;
  checks: Record<CheckedField, CheckState>;
  tenantLookup: TenantLookup;
  /** From the guide when it is loaded; else from the answers. */
  needsSecret: boolean;
  secret: string;
  /** Saving is not needed again (saved before, nothing changed, no new secret). */
  upToDate: boolean;
  signedIn: boolean;
}

/** A missing value, or one its check found a problem with. (A check still running does not block: Next waits.) */
function fieldBlocker(check: CheckState, label: string, value: string): string | null {
  if (value.trim() === "") return `Paste the ${label}.`;
  if (check.status === "done" && check.value === value && check.result.verdict === "problem") return `Fix the ${label}.`;
  return null;
}

/** Why Next is disabled on `step`, in words (empty: Next is enabled). */
export function stepBlockers(step: StepNumber, ctx: StepContext): string[] {
  const { answers } = ctx;
  const reasons: string[] = [];
  if (step === 1) {
    if (answers.address.trim() === "") reasons.push("Enter the mailbox's email address.");
    else if (!isEmailAddress(answers.address)) reasons.push("Enter the email address in full, like name@example.com.");
    if (answers.services.length === 0) {
      reasons.push(
        answers.use === "" && !answers.forProduct
          ? "Choose what will use the mailbox."
          : "Choose at least one thing the mailbox should do.",
      );
    }
    if (answers.forProduct) {
      if (answers.product === "") reasons.push("Choose the product.");
      else if (!answers.appOnly) {
        const problem = productRedirectProblem(answers.productRedirectUri);
        if (problem) reasons.push(problem);
      }
    }
  } else if (step === 2) {
    // A check still running does not block: Next waits for it.
    const check = ctx.cloudCheck;
    if (answers.cloudKind === "custom" && cloudCheckCurrent(check, answers.custom)) {
      if (check.error) {
        reasons.push(`Mailgrant could not check the custom cloud's addresses (${check.error.message}).`);
      } else if (!check.cloud) {
        reasons.push("Complete the custom cloud's addresses.");
      }
    }
    if (answers.appOnly && answers.audience === "personal") {
      reasons.push("A background service cannot use personal accounts: choose an organisation.");
    }
  } else if (step === 4) {
    // Resumed with a custom cloud Rust now refuses: the account must not be saved with another cloud.
    const cloud = ctx.cloudCheck;
    if (answers.cloudKind === "custom" && cloudCheckCurrent(cloud, answers.custom) && !cloud.cloud) {
      reasons.push("Complete the custom cloud's addresses (step 2).");
    }
    const a = applies(answers);
    const id = fieldBlocker(ctx.checks.clientId, "Application (client) ID", answers.clientId);
    if (id) reasons.push(id);
    if (a.tenantField) {
      const tenant = fieldBlocker(ctx.checks.tenant, "Directory (tenant) ID", answers.tenant);
      if (tenant) reasons.push(tenant);
      else if (
        ctx.tenantLookup.status === "failed" &&
        tenantUnknown(ctx.tenantLookup) &&
        ctx.tenantLookup.value === answers.tenant
      ) {
        reasons.push("Microsoft can't find this organisation: correct the Directory (tenant) ID.");
      }
    }
    if (ctx.needsSecret && !ctx.upToDate) {
      const secret = fieldBlocker(ctx.checks.clientSecret, "client secret Value", ctx.secret);
      if (secret) reasons.push(secret);
    }
  } else if (step === 5) {
    if (!ctx.signedIn) reasons.push("Sign in first.");
  }
  return reasons;
}

// ------------------------------------------------------------------------------------------------ diagnoses

/**
 * What to offer next to a diagnosis: the step that fixes it, the IT-admin message, what a personal account's owner
 * can do themselves, or trying again.
 */
export type RemedyAction =
  | { kind: "step"; step: StepNumber; label: string }
  | { kind: "admin"; label: string }
  | { kind: "self"; label: string }
  | { kind: "retry"; label: string };

/** The label of the help a personal account's owner gets instead of "Ask your IT admin". */
export const SELF_HELP_LABEL = "What you can do yourself";

/**
 * The wizard's action for what Rust says fixes the failure. `personal`: a personal Microsoft account, which has no
 * IT admin to ask.
 */
export function remedyFor(diagnosis: Diagnosis, personal = false): RemedyAction {
  const remedy: Remedy = diagnosis.remedy;
  switch (remedy) {
    case "sign-in-again":
      return { kind: "step", step: 5, label: "Sign in again" };
    case "correct-pasted-value":
      return { kind: "step", step: 4, label: "Correct what you pasted (step 4)" };
    case "review-registration":
      return { kind: "step", step: 3, label: "Review the app registration (step 3)" };
    case "ask-admin":
      return personal ? { kind: "self", label: SELF_HELP_LABEL } : { kind: "admin", label: "Ask your IT admin" };
    case "try-again":
      return { kind: "retry", label: "Try again" };
    default:
      return unhandledRemedy(remedy);
  }
}

/** Only compiles while every Remedy has its case above. */
function unhandledRemedy(_remedy: never): RemedyAction {
  return { kind: "retry", label: "Try again" };
}

// ------------------------------------------------------------------------------------------------ the test's result

export const PROTOCOL_NAMES: Record<Protocol, string> = {
  imap: "IMAP",
  pop: "POP",
  smtp: "SMTP",
  graph: "Microsoft Graph",
};

function joinWords(items: string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

/** "Mail programs can now read mail over IMAP and send over SMTP with Mailgrant's tokens." */
export function whatWorks(services: readonly Service[], working: readonly Protocol[]): string {
  const ok = new Set(working);
  const reads: string[] = [];
  const sends: string[] = [];
  if (services.includes("imap") && ok.has("imap")) reads.push("over IMAP");
  if (services.includes("pop") && ok.has("pop")) reads.push("over POP");
  if (services.includes("graph-read") && ok.has("graph")) reads.push("with Microsoft Graph");
  if (services.includes("smtp") && ok.has("smtp")) sends.push("over SMTP");
  if (services.includes("graph-send") && ok.has("graph")) sends.push("with Microsoft Graph");
  const parts: string[] = [];
  if (reads.length) parts.push(`read mail ${joinWords(reads)}`);
  if (sends.length) parts.push(`send ${joinWords(sends)}`);
  if (parts.length === 0) return "The mailbox answered Mailgrant's test.";
  return `Mail programs can now ${parts.join(" and ")} with Mailgrant's tokens.`;
}

// ------------------------------------------------------------------------------------------------ the IT admin

export function adminSubject(address: string): string {
  const a = address.trim();
  return a ? `Please help me connect ${a} to Mailgrant` : "Please help me connect a mailbox to Mailgrant";
}

/** Which message for the IT admin: "please register it for me", or "please approve it / enable it". */
export type AdminRequest = "register" | "approve";

/**
 * The guide's message, with what went wrong when the admin is asked because of a failure: the problem right after the
 * greeting (the message leads with it), the details for support at the end.
 */
export function adminMessageFor(guideMessage: string, diagnosis: Diagnosis | null): string {
  if (!diagnosis) return guideMessage;
  const steps = diagnosis.steps.map((s, i) => `   ${i + 1}. ${appWords(s)}`).join("\n");
  const problem =
    `Mailgrant ran into this: ${appWords(diagnosis.title)} (${diagnosis.code}).\n${appWords(diagnosis.explanation)}\n` +
    (steps ? `What fixes it:\n${steps}\n` : "") +
    "\n";
  const details = `\nDetails for support:\n${rawDetailText(diagnosis.code, diagnosis.raw)}\n`;
  const greeting = "Hello,\n\n";
  const led = guideMessage.startsWith(greeting)
    ? greeting + problem + guideMessage.slice(greeting.length)
    : problem + guideMessage;
  const thanks = "\nThank you!";
  const at = led.lastIndexOf(thanks);
  return at >= 0 ? led.slice(0, at) + details + led.slice(at) : led + details;
}

export function mailtoHref(subject: string, body: string): string {
  return `mailto:?subject=${encodeURIComponent(subject)}&body=${encodeURIComponent(body)}`;
}

/** 754 → "12:34"; 3725 → "1:02:05". */
export function formatCountdown(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${rest}` : `${m}:${rest}`;
}

// ------------------------------------------------------------------------------------------------ the store

export type OrgLookup =
  | { status: "idle" }
  | { status: "looking"; domain: string }
  | { status: "found"; domain: string; found: TenantFound }
  | { status: "personal"; domain: string }
  | { status: "none"; domain: string };

export interface ProbeRow {
  protocol: Protocol;
  server: string;
  layers: LayerReport[];
  report: ProbeReport | null;
}

export type ProbeState =
  | { status: "idle" }
  | { status: "running"; rows: ProbeRow[] }
  | { status: "done"; rows: ProbeRow[] }
  | { status: "stopped"; rows: ProbeRow[] }
  | { status: "error"; rows: ProbeRow[]; error: IpcError };

type Ipc = Pick<
  typeof realIpc,
  | "checkField"
  | "checkCloud"
  | "setupGuide"
  | "discoverTenant"
  | "saveAccount"
  | "signIn"
  | "cancelSignIn"
  | "submitSignInAddress"
  | "testAccount"
  | "productPresets"
  | "handOver"
  | "explainCode"
>;

export interface WizardOptions {
  ipc?: Ipc;
  /** Where progress is kept; null keeps nothing. */
  storage?: Pick<Storage, "getItem" | "setItem" | "removeItem"> | null;
  /** How long typing must pause before a field is checked. */
  debounceMs?: number;
  /** The app's one sign-in at a time; by default the app-wide one (for a fake IPC, its own). */
  signIns?: SignIns;
}

/** How long Next waits for a tenant lookup still running. */
const TENANT_LOOKUP_PATIENCE_MS = 4000;

type WaitKind = "guide" | "org" | "tenant" | "cloud" | "save" | "probe" | "handOver" | "explain";

/** A code Microsoft showed in the browser (where the app never hears of it), as Rust explains it. */
export type BrowserCodeState =
  | { status: "idle" }
  | { status: "looking"; code: string }
  | { status: "found"; code: string; diagnosis: Diagnosis }
  | { status: "unknown"; code: string }
  | { status: "error"; code: string; error: IpcError };

/** How long step 5 waits for the browser before it offers a hint, in seconds. */
export const BROWSER_HINT_AFTER_SECS = 60;

function asIpcError(err: unknown): IpcError {
  if (err && typeof err === "object" && "code" in err && "message" in err) return err as IpcError;
  return { code: "unexpected", message: err instanceof Error ? err.message : String(err) };
}

export class WizardStore {
  step = $state<StepNumber>(1);
  answers = $state<Answers>(emptyAnswers());
  /** The client secret's Value: sent to Rust when saving, never kept anywhere else. */
  secret = $state("");
  saved = $state(false);
  savedDraft = $state<string | null>(null);
  signedIn = $state(false);
  /** Progress was found and restored when the wizard opened. */
  resumed = $state(false);

  guide = $state<SetupGuide | null>(null);
  guideError = $state<IpcError | null>(null);
  guideLoading = $state(false);

  /** Rust's latest answer about the custom cloud's fields (shown by field; Next waits for the current one). */
  cloudCheck = $state<CloudCheckState>(UNCHECKED_CLOUD);
  orgLookup = $state<OrgLookup>({ status: "idle" });
  tenantLookup = $state<TenantLookup>({ status: "idle" });

  saving = $state(false);
  /** Next was pressed while checks were still running: waiting for them. */
  settling = $state(false);
  saveError = $state<IpcError | null>(null);

  /** Step 5's sign-in: the one running, or how the last one ended; null before one (or once it is done). */
  signIn = $state.raw<SignInSession<AccountHealth> | null>(null);
  probe = $state<ProbeState>({ status: "idle" });
  /** Step 5: the code the user typed from Microsoft's error page, explained. */
  browserCode = $state<BrowserCodeState>({ status: "idle" });

  /** The products Mailgrant knows (`product_presets`), loaded when the wizard opens. */
  presets = $state<ProductPreset[]>([]);
  presetsError = $state<IpcError | null>(null);
  /** Step 6 in product mode: every value the product asks for, once the mailbox is connected. */
  handOver = $state<HandOver | null>(null);
  handOverError = $state<IpcError | null>(null);

  adminOpen = $state(false);
  adminRequest = $state<AdminRequest>("approve");
  adminDiagnosis = $state<Diagnosis | null>(null);
  /** "What you can do yourself": for a personal account, in place of the IT admin. */
  selfHelpOpen = $state(false);
  selfHelpDiagnosis = $state<Diagnosis | null>(null);

  #ipc: Ipc;
  #storage: WizardOptions["storage"];
  #debounceMs: number;
  #signIns: SignIns;
  /** Each pasted value's check as it is typed. */
  #checkers: Record<CheckedField, FieldChecker>;
  #tenantLookupRun: Promise<void> | null = null;
  #presetsRun: Promise<void> | null = null;
  #cloudTimer: ReturnType<typeof setTimeout> | undefined;
  /** The latest check of the custom cloud's fields, as for a field in `#checkRuns`. */
  #cloudRun: { run: () => void; done: Promise<void> } | null = null;
  /** Each wait's generation: an answer from an older generation is dropped. */
  #seq: Record<WaitKind, number> = {
    guide: 0,
    org: 0,
    tenant: 0,
    cloud: 0,
    save: 0,
    probe: 0,
    handOver: 0,
    explain: 0,
  };

  constructor(options: WizardOptions = {}) {
    this.#ipc = options.ipc ?? realIpc;
    this.#storage = options.storage === undefined ? globalThis.localStorage ?? null : options.storage;
    this.#debounceMs = options.debounceMs ?? 250;
    this.#signIns = options.signIns ?? signInsFor(this.#ipc);
    const checker = (field: CheckedField) =>
      new FieldChecker((value) => this.#ipc.checkField(field, value), {
        debounceMs: this.#debounceMs,
        // The admin-consent link in the guide appears once the client ID and tenant are known.
        onAnswer: (result) => {
          if (field !== "clientSecret" && result.verdict !== "problem") void this.loadGuide();
        },
      });
    this.#checkers = { clientId: checker("clientId"), tenant: checker("tenant"), clientSecret: checker("clientSecret") };
    let restored: Progress | null = null;
    try {
      restored = restoreProgress(this.#storage?.getItem(STORAGE_KEY) ?? null);
    } catch {
      restored = null;
    }
    if (restored) {
      this.step = restored.step;
      this.answers = restored.answers;
      this.saved = restored.saved;
      this.savedDraft = restored.savedDraft;
      this.signedIn = restored.signedIn;
      this.resumed = true;
      if (this.answers.cloudKind === "custom") this.#scheduleCloudCheck(0);
    }
  }

  // ---------------------------------------------------------------------------------------------- derived facts

  /** Rust's latest check of each pasted value. */
  get checks(): Record<CheckedField, CheckState> {
    return {
      clientId: this.#checkers.clientId.state,
      tenant: this.#checkers.tenant.state,
      clientSecret: this.#checkers.clientSecret.state,
    };
  }

  /** The custom cloud Rust built from the fields as they are now; null while incomplete or not checked yet. */
  get customCloud(): Cloud | null {
    return cloudCheckCurrent(this.cloudCheck, this.answers.custom) ? this.cloudCheck.cloud : null;
  }

  get draft(): WizardDraft {
    return toDraft(this.answers, this.customCloud);
  }

  get applies(): Applies {
    return applies(this.answers);
  }

  /** A personal Microsoft account's mailbox (or only personal accounts may sign in): there is no IT admin. */
  get personal(): boolean {
    return this.personalAddress || this.answers.audience === "personal";
  }

  /** The address is an Outlook.com, Hotmail, Live or MSN one. */
  get personalAddress(): boolean {
    return isPersonalAddress(this.answers.address);
  }

  get needsSecret(): boolean {
    return this.guide?.needsSecret ?? this.applies.secretFields;
  }

  /** Saved before, nothing changed since, and no new secret: Next on step 4 goes straight on. */
  get upToDate(): boolean {
    return (
      this.saved && this.savedDraft === draftFingerprint(this.answers, this.customCloud) && this.secret.trim() === ""
    );
  }

  get blockers(): string[] {
    return stepBlockers(this.step, {
      answers: this.answers,
      cloudCheck: this.cloudCheck,
      checks: this.checks,
      tenantLookup: this.tenantLookup,
      needsSecret: this.needsSecret,
      secret: this.secret,
      upToDate: this.upToDate,
      signedIn: this.signedIn,
    });
  }

  get connected(): boolean {
    return (
      this.probe.status === "done" &&
      this.probe.rows.length > 0 &&
      this.probe.rows.every((r) => r.report?.outcome.status === "ok")
    );
  }

  /** The product chosen for product mode (null: none, or not loaded yet). */
  get preset(): ProductPreset | null {
    if (!this.answers.forProduct) return null;
    return this.presets.find((p) => p.id === this.answers.product) ?? null;
  }

  get adminMessage(): string | null {
    if (!this.guide) return null;
    if (this.adminRequest === "register") return this.guide.registerMessage;
    return adminMessageFor(this.guide.adminMessage, this.adminDiagnosis);
  }

  // ---------------------------------------------------------------------------------------------- progress

  progress(): Progress {
    return {
      step: this.step,
      answers: this.answers,
      saved: this.saved,
      savedDraft: this.savedDraft,
      signedIn: this.signedIn,
    };
  }

  /** Writes the progress (the screen calls it from an effect, so every change is kept). */
  persist(): void {
    const text = serialiseProgress(this.progress());
    try {
      this.#storage?.setItem(STORAGE_KEY, text);
    } catch {
      // Storage full or disabled: the wizard still works, it just won't resume.
    }
  }

  forget(): void {
    try {
      this.#storage?.removeItem(STORAGE_KEY);
    } catch {
      // nothing kept
    }
  }

  /** Back to an empty step 1. */
  startOver(): void {
    void this.cancelSignIn();
    for (const checker of Object.values(this.#checkers)) checker.reset();
    clearTimeout(this.#cloudTimer);
    this.#cloudRun = null;
    for (const key of Object.keys(this.#seq) as WaitKind[]) this.#seq[key]++;
    this.step = 1;
    this.answers = emptyAnswers();
    this.secret = "";
    this.saved = false;
    this.savedDraft = null;
    this.signedIn = false;
    this.resumed = false;
    this.guide = null;
    this.guideError = null;
    this.cloudCheck = UNCHECKED_CLOUD;
    this.orgLookup = { status: "idle" };
    this.tenantLookup = { status: "idle" };
    this.saving = false;
    this.settling = false;
    this.saveError = null;
    this.signIn = null;
    this.probe = { status: "idle" };
    this.browserCode = { status: "idle" };
    this.handOver = null;
    this.handOverError = null;
    this.forget();
  }

  /** What entering the current step starts (also after resuming). */
  enter(): void {
    switch (this.step) {
      case 2:
        void this.lookUpOrganisation();
        break;
      case 3:
        void this.loadGuide();
        break;
      case 4:
        void this.loadGuide();
        for (const field of ["clientId", "tenant"] as const) {
          const value = this.answers[field];
          const check = this.checks[field];
          if (value.trim() !== "" && !(check.status === "done" && check.value === value)) {
            this.#checkers[field].schedule(value, 0);
          }
        }
        if (this.secret.trim() !== "") this.#checkers.clientSecret.schedule(this.secret, 0);
        break;
      case 6:
        if (this.probe.status !== "running") void this.prove();
        break;
    }
  }

  // ---------------------------------------------------------------------------------------------- moving

  goTo(step: StepNumber): void {
    if (step === this.step) return;
    if (this.step === 5 && this.signInWaiting) void this.cancelSignIn();
    if (this.step === 6 && this.probe.status === "running") this.stopProbe();
    if (step === 5 && this.signIn && !this.signInWaiting) this.signIn = null;
    this.saveError = null;
    this.step = step;
    this.enter();
  }

  back(): void {
    if (this.step > 1) this.goTo((this.step - 1) as StepNumber);
  }

  /** Next: step 4 saves the account first; step 5 needs the sign-in. */
  async next(): Promise<void> {
    if (this.blockers.length > 0 || this.saving || this.settling) return;
    if (this.step === 2 || this.step === 4) {
      const step = this.step;
      this.settling = true;
      try {
        await (step === 2 ? this.settleCloud() : this.settle());
      } finally {
        this.settling = false;
      }
      if (this.step !== step || this.blockers.length > 0) return;
    }
    if (this.step === 4 && !this.upToDate) {
      const ok = await this.save();
      if (!ok) return;
    }
    if (this.step < STEP_COUNT) this.goTo((this.step + 1) as StepNumber);
  }

  // ---------------------------------------------------------------------------------------------- step 1 and 2

  /** Loads the products Mailgrant knows, once. */
  loadPresets(): Promise<void> {
    if (this.presets.length > 0) return Promise.resolve();
    this.#presetsRun ??= (async () => {
      this.presetsError = null;
      try {
        this.presets = await this.#ipc.productPresets();
      } catch (err) {
        this.presetsError = asIpcError(err);
      } finally {
        this.#presetsRun = null;
      }
    })();
    return this.#presetsRun;
  }

  /** For another product (true), or for the user's own mail programs (false). */
  setForProduct(on: boolean): void {
    if (on === this.answers.forProduct) return;
    if (on) {
      this.answers = { ...this.answers, use: "product", forProduct: true, appOnly: false, withSecret: false };
      void this.loadPresets();
    } else {
      this.answers = {
        ...this.answers,
        use: this.answers.use === "product" ? "" : this.answers.use,
        forProduct: false,
        product: "",
        productRedirectUri: "",
        appOnly: false,
        withSecret: false,
      };
    }
  }

  /** Picks the product: its preset sets the services and the kind of app. */
  chooseProduct(id: string): void {
    const preset = this.presets.find((p) => p.id === id);
    if (preset) this.answers = applyPreset(this.answers, preset);
    else this.answers = { ...this.answers, forProduct: true, product: "" };
  }

  /**
   * What will use the mailbox: preselects its services (still shown, to change), another product's mode, or a
   * background service (app-only).
   */
  chooseUse(use: UseKind): void {
    if (use === this.answers.use) return;
    if (use === "product") {
      this.answers.use = use;
      this.setForProduct(true);
      return;
    }
    if (this.answers.forProduct) this.setForProduct(false);
    const services = use === "service" ? SERVICE_USE.services : (USES.find((u) => u.value === use)?.services ?? []);
    this.answers = {
      ...this.answers,
      use,
      appOnly: use === "service",
      withSecret: false,
      // A background service is its organisation's: step 2 does not ask whose accounts.
      ...(use === "service" ? { audience: "my-organisation" as const, audienceChosen: false } : {}),
      services: SERVICES.map((s) => s.value).filter((s) => services.includes(s)),
    };
  }

  toggleService(service: Service, on: boolean): void {
    const rest = this.answers.services.filter((s) => s !== service);
    this.answers.services = on ? [...rest, service] : rest;
  }

  /** The user picks whose accounts may sign in: from now on Mailgrant only suggests. */
  chooseAudience(audience: AccountAudience): void {
    this.answers.audience = audience;
    this.answers.audienceChosen = true;
  }

  /**
   * Selects the audience the address suggests, unless the user chose one. A background service cannot use personal
   * accounts, so it keeps its organisation.
   */
  #suggestAudience(audience: AccountAudience): void {
    if (this.answers.audienceChosen) return;
    if (audience === "personal" && this.answers.appOnly) return;
    this.answers.audience = audience;
  }

  /** Looks the address's domain up (step 2), to suggest "my organisation" when its directory exists. */
  async lookUpOrganisation(): Promise<void> {
    const domain = emailDomain(this.answers.address);
    const seq = ++this.#seq.org;
    if (!domain) {
      this.orgLookup = { status: "idle" };
      return;
    }
    if (isPersonalDomain(domain)) {
      this.orgLookup = { status: "personal", domain };
      // A one-organisation app is one a personal account cannot sign in to.
      this.#suggestAudience("personal");
      return;
    }
    if (this.orgLookup.status !== "idle" && this.orgLookup.status !== "looking" && this.orgLookup.domain === domain) {
      return;
    }
    this.orgLookup = { status: "looking", domain };
    // Another address than the personal one before: not the personal audience any more.
    if (this.answers.audience === "personal") this.#suggestAudience("my-organisation");
    const draft: WizardDraft = { ...this.draft, appOnly: false, audience: "my-organisation", tenant: domain };
    try {
      const found = await this.#ipc.discoverTenant(draft);
      if (seq !== this.#seq.org) return;
      this.orgLookup = { status: "found", domain, found };
      // Start step 4 with the organisation filled in; the user checks it against Entra's Overview page.
      if (this.answers.tenant.trim() === "") this.answers.tenant = found.tenantId ?? domain;
    } catch {
      // An unknown domain is not an error at this step: there is simply no suggestion.
      if (seq === this.#seq.org) this.orgLookup = { status: "none", domain };
    }
  }

  setCloudKind(kind: CloudKind): void {
    this.answers.cloudKind = kind;
    this.orgLookup = { status: "idle" };
    if (kind === "custom") this.#scheduleCloudCheck(0);
    else void this.lookUpOrganisation();
  }

  /** A custom cloud's address changed: keep it, and have Rust check the fields once typing pauses. */
  setCustomField(key: keyof CustomCloudFields, value: string): void {
    this.answers.custom[key] = value;
    this.#scheduleCloudCheck(this.#debounceMs);
  }

  #scheduleCloudCheck(delay: number): void {
    clearTimeout(this.#cloudTimer);
    const seq = ++this.#seq.cloud;
    const fields: CustomCloudFields = { ...this.answers.custom };
    let finished!: () => void;
    const done = new Promise<void>((resolve) => (finished = resolve));
    let started = false;
    const run = () => {
      if (started) return;
      started = true;
      clearTimeout(this.#cloudTimer);
      void this.#checkCloud(fields, seq).finally(finished);
    };
    this.#cloudTimer = setTimeout(run, delay);
    this.#cloudRun = { run, done };
  }

  async #checkCloud(fields: CustomCloudFields, seq: number): Promise<void> {
    const checked = { ...fields };
    try {
      const result = await this.#ipc.checkCloud(fields);
      if (seq !== this.#seq.cloud) return;
      this.cloudCheck = { checked, cloud: result.cloud, problems: result.problems, error: null };
      // Resumed past step 2: the guide was loaded before the cloud was known.
      if (this.step >= 3 && this.step <= 4) void this.loadGuide();
    } catch (err) {
      if (seq === this.#seq.cloud) this.cloudCheck = { checked, cloud: null, problems: {}, error: asIpcError(err) };
    }
  }

  /** What Rust found wrong with one custom cloud field as it is typed now (null: nothing, or not checked yet). */
  cloudProblem(key: keyof CustomCloudFields): string | null {
    return cloudProblem(this.cloudCheck, this.answers.custom, key);
  }

  /** Runs the custom cloud's check now if it waits for typing to pause, and waits for its answer. */
  async settleCloud(): Promise<void> {
    const pending = this.#cloudRun;
    if (!pending || this.answers.cloudKind !== "custom") return;
    pending.run();
    await pending.done;
  }

  // ---------------------------------------------------------------------------------------------- step 3

  async loadGuide(): Promise<void> {
    const seq = ++this.#seq.guide;
    this.guideLoading = true;
    this.guideError = null;
    try {
      const guide = await this.#ipc.setupGuide(this.draft);
      if (seq !== this.#seq.guide) return;
      this.guide = guide;
    } catch (err) {
      if (seq === this.#seq.guide) this.guideError = asIpcError(err);
    } finally {
      if (seq === this.#seq.guide) this.guideLoading = false;
    }
  }

  // ---------------------------------------------------------------------------------------------- step 4

  /** A pasted value changed: keep it and check it once typing pauses. */
  setField(field: CheckedField, value: string): void {
    if (field === "clientSecret") this.secret = value;
    else this.answers[field] = value;
    if (field === "tenant") {
      this.#seq.tenant++;
      this.tenantLookup = { status: "idle" };
    }
    this.saveError = null;
    this.#checkers[field].schedule(value);
  }

  /** A background service's Enterprise application Object ID: Rust fills it into the Exchange PowerShell. */
  setEnterpriseObjectId(value: string): void {
    this.answers.enterpriseObjectId = value;
    void this.loadGuide();
  }

  /** Runs the checks still waiting for typing to pause, and waits for every check and the tenant lookup. */
  async settle(): Promise<void> {
    await Promise.all([...Object.values(this.#checkers).map((c) => c.settle()), this.settleCloud()]);
    // The lookup goes over the network: wait a little for it, not for a stalled connection (only an unknown
    // tenant blocks Next, and the sign-in would say so anyway).
    if (this.applies.tenantField) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const patience = new Promise<void>((done) => (timer = setTimeout(done, TENANT_LOOKUP_PATIENCE_MS)));
      await Promise.race([this.lookUpTenant(), patience]);
      clearTimeout(timer);
    }
  }

  /** The tenant field lost focus: does Microsoft know this organisation? */
  lookUpTenant(): Promise<void> {
    const value = this.answers.tenant;
    const check = this.checks.tenant;
    if (value.trim() === "" || (check.status === "done" && check.result.verdict === "problem")) {
      return Promise.resolve();
    }
    if (this.tenantLookup.status !== "idle" && this.tenantLookup.value === value) {
      return this.tenantLookup.status === "looking" && this.#tenantLookupRun ? this.#tenantLookupRun : Promise.resolve();
    }
    const seq = ++this.#seq.tenant;
    this.tenantLookup = { status: "looking", value };
    this.#tenantLookupRun = (async () => {
      try {
        const found = await this.#ipc.discoverTenant(this.draft);
        if (seq === this.#seq.tenant) this.tenantLookup = { status: "found", value, found };
      } catch (err) {
        if (seq === this.#seq.tenant) this.tenantLookup = { status: "failed", value, error: asIpcError(err) };
      }
    })();
    return this.#tenantLookupRun;
  }

  /** Saves the account (the secret goes to the keychain). True when it worked. */
  async save(): Promise<boolean> {
    const seq = ++this.#seq.save;
    this.saving = true;
    this.saveError = null;
    const draft = this.draft;
    const fingerprint = JSON.stringify(draft);
    const secret = this.applies.secretFields && this.secret.trim() !== "" ? this.secret : null;
    const expires = secret && this.answers.secretExpires ? this.answers.secretExpires : null;
    // Once a save was attempted, the account may exist: the next one replaces it (harmless if it does not).
    const replace = this.saved;
    this.saved = true;
    try {
      await this.#ipc.saveAccount(draft, secret, expires, replace);
      if (seq !== this.#seq.save) return false;
      this.savedDraft = fingerprint;
      this.signedIn = false;
      this.signIn = null;
      this.secret = "";
      this.#checkers.clientSecret.reset();
      return true;
    } catch (err) {
      if (seq === this.#seq.save) {
        this.saveError = asIpcError(err);
        this.savedDraft = null;
      }
      return false;
    } finally {
      if (seq === this.#seq.save) this.saving = false;
    }
  }

  /** Stops waiting for the save (it may still finish in the background; the next save replaces it). */
  stopSaving(): void {
    this.#seq.save++;
    this.saving = false;
    this.savedDraft = null;
  }

  // ---------------------------------------------------------------------------------------------- step 5

  get signInWaiting(): boolean {
    return this.signIn?.running ?? false;
  }

  /** Signs the saved account in; step 5 shows the session (its events, Cancel, the pasted address, the outcome). */
  async startSignIn(): Promise<void> {
    if (this.signInWaiting) return;
    const session = this.#signIns.start((onEvent) => this.#ipc.signIn(this.draft.name, onEvent));
    this.signIn = session;
    this.clearBrowserCode();
    const outcome = await session.finished;
    // Started over, saved again or signing in anew meanwhile: this sign-in's answer is dropped.
    if (this.signIn !== session || outcome.status !== "done") return;
    this.signedIn = true;
    this.signIn = null;
    if (this.step === 5) this.goTo(6);
  }

  /** "Microsoft showed an error? Type its code": Rust's diagnosis of it (AADSTS50011, 700016…). */
  async explainBrowserCode(text: string): Promise<void> {
    const code = text.trim();
    const seq = ++this.#seq.explain;
    if (code === "") {
      this.browserCode = { status: "idle" };
      return;
    }
    this.browserCode = { status: "looking", code };
    try {
      const diagnosis = await this.#ipc.explainCode(code);
      if (seq !== this.#seq.explain) return;
      this.browserCode = diagnosis ? { status: "found", code, diagnosis } : { status: "unknown", code };
    } catch (err) {
      if (seq === this.#seq.explain) this.browserCode = { status: "error", code, error: asIpcError(err) };
    }
  }

  clearBrowserCode(): void {
    this.#seq.explain++;
    this.browserCode = { status: "idle" };
  }

  async cancelSignIn(): Promise<void> {
    await this.signIn?.cancel();
  }

  // ---------------------------------------------------------------------------------------------- step 6

  async prove(): Promise<void> {
    const seq = ++this.#seq.probe;
    const rows: ProbeRow[] = [];
    this.probe = { status: "running", rows };
    const live = () => (this.probe.status === "running" ? this.probe.rows : null);
    try {
      const reports = await this.#ipc.testAccount(this.draft.name, [], false, (progress: ProbeProgress) => {
        const current = live();
        if (seq !== this.#seq.probe || !current) return;
        let row = current.find((r) => r.protocol === progress.protocol);
        if (!row) {
          current.push({ protocol: progress.protocol, server: progress.server, layers: [], report: null });
          row = current[current.length - 1];
        }
        row.layers.push(progress.layer);
      });
      if (seq !== this.#seq.probe) return;
      this.probe = {
        status: "done",
        rows: reports.map((report) => ({
          protocol: report.protocol,
          server: report.server,
          layers: report.layers,
          report,
        })),
      };
      // Connected: nothing left to resume.
      if (this.connected) {
        this.forget();
        if (this.answers.forProduct) void this.loadHandOver();
      }
    } catch (err) {
      if (seq !== this.#seq.probe) return;
      const current = live() ?? [];
      this.probe = { status: "error", rows: current, error: asIpcError(err) };
    }
  }

  /** Every value the product asks for, from the account that proved the registration (never the secret's Value). */
  async loadHandOver(): Promise<void> {
    const seq = ++this.#seq.handOver;
    this.handOverError = null;
    const redirect = this.answers.appOnly ? "" : this.answers.productRedirectUri.trim();
    try {
      const values = await this.#ipc.handOver(this.draft.name, this.answers.product, redirect === "" ? null : redirect);
      if (seq === this.#seq.handOver) this.handOver = values;
    } catch (err) {
      if (seq === this.#seq.handOver) this.handOverError = asIpcError(err);
    }
  }

  /** Stops waiting for the test (the probe in Rust finishes on its own; its result is dropped). */
  stopProbe(): void {
    if (this.probe.status !== "running") return;
    this.#seq.probe++;
    this.probe = { status: "stopped", rows: this.probe.rows };
  }

  /** The action a diagnosis offers. */
  remedy(remedy: RemedyAction, diagnosis: Diagnosis): void {
    if (remedy.kind === "admin") this.openAdmin(diagnosis);
    else if (remedy.kind === "self") this.openSelfHelp(diagnosis);
    else if (remedy.kind === "retry") {
      if (this.step === 6) void this.prove();
      else if (this.step === 5) void this.startSignIn();
    } else if (remedy.step === 5) {
      this.signedIn = false;
      this.signIn = null;
      if (this.step === 5) void this.startSignIn();
      else this.goTo(5);
    } else this.goTo(remedy.step);
  }

  // ---------------------------------------------------------------------------------------------- the IT admin

  /**
   * "Ask your IT admin": to approve or enable what a failure needs, or (before the IDs are pasted, when the user may
   * not register apps) to register the app.
   */
  openAdmin(diagnosis: Diagnosis | null = null, request?: AdminRequest): void {
    this.adminDiagnosis = diagnosis;
    this.adminRequest = request ?? (diagnosis === null && this.step <= 3 ? "register" : "approve");
    this.adminOpen = true;
    void this.loadGuide();
  }

  closeAdmin(): void {
    this.adminOpen = false;
  }

  openSelfHelp(diagnosis: Diagnosis | null = null): void {
    this.selfHelpDiagnosis = diagnosis;
    this.selfHelpOpen = true;
  }

  closeSelfHelp(): void {
    this.selfHelpOpen = false;
  }
}
