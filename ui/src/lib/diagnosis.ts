// Diagnoses in words: who fixes a problem, and what the server said as labelled lines (never JSON).
import type { Diagnosis } from "./ipc/bindings/Diagnosis";
import type { Fixer } from "./ipc/bindings/Fixer";
import type { RawDetail } from "./ipc/bindings/RawDetail";

export const FIXERS: Record<Fixer, string> = {
  you: "You",
  "it-admin": "Your IT admin",
  "app-owner": "Whoever manages the app registration",
  microsoft: "Microsoft",
};

/** The raw server answer as "Label: value" lines, for the details disclosure and support (never JSON). */
export function rawDetailLines(code: string, raw: RawDetail): [string, string][] {
  const lines: [string, string][] = [["Code", code]];
  const add = (label: string, value: string | number | null | undefined) => {
    if (value !== null && value !== undefined && String(value).trim() !== "") lines.push([label, String(value)]);
  };
  add("AADSTS", raw.aadsts);
  add("Error", raw.error);
  add("Description", raw.errorDescription);
  add("HTTP status", raw.httpStatus);
  add("Server reply", raw.serverReply);
  add("Trace ID", raw.traceId);
  add("Correlation ID", raw.correlationId);
  add("Timestamp", raw.timestamp);
  return lines;
}

export function rawDetailText(code: string, raw: RawDetail): string {
  return rawDetailLines(code, raw)
    .map(([label, value]) => `${label}: ${value}`)
    .join("\n");
}

// ------------------------------------------------------------------------------------------------ in the app's words
// The catalogue's texts are shared with the command line, and some tell the user to run `mailgrant …` or to open a
// settings page the app does not have. In the app they say what to click instead.

type Rewording = readonly [RegExp, string | ((match: string, ...groups: string[]) => string)];

/** Keeps the first letter's case of what it replaces: "Run …" → "Click …", "run …" → "click …". */
function sameCase(original: string, words: string): string {
  return /^[A-Z]/.test(original) ? words[0].toUpperCase() + words.slice(1) : words;
}

const REWORDINGS: readonly Rewording[] = [
  // "Choose Sign in again for this account (or run `mailgrant sign-in ACCOUNT`)": the app's way is named already.
  [/ \(or run `mailgrant [^`]*`\)/g, ""],
  [/\brun `mailgrant test [^`]*` again/gi, (m) => sameCase(m, "click Test again")],
  [/\brun `mailgrant test [^`]*`: its token check/gi, (m) => sameCase(m, "click Test again: its “Get a token” step")],
  [
    /take the token from `mailgrant token [^`]*` instead of a password\./g,
    "take the token from Mailgrant instead of a password: “Use this mailbox” on the account's card shows how.",
  ],
  [/\(XOAUTH2, with `mailgrant token [^`]*`\)/g, "(XOAUTH2, with Mailgrant's token: “Use this mailbox” shows how)"],
  [/`mailgrant secrets[^`]*` warns before/g, "Mailgrant warns 30, 14 and 7 days before"],
  [/\(any `mailgrant token` or probe does\)/g, "(Mailgrant does that by itself while it runs, and so does Test)"],
  [/`mailgrant status` warns/g, "the account's card warns"],
  [/in the account's settings or with `mailgrant add[^`]*`/g, "in step 2 of Connect a mailbox"],
  [/: name one of `mailgrant accounts`, or add one first \(the wizard or `mailgrant add`\)/g, ": connect the mailbox first (Connect a mailbox)"],
  [/: `mailgrant directory list` lists them/g, ": the Client-secret expiry page lists them"],
  // Screens the app does not have, or has under another name.
  [
    /In Mailgrant, paste it as the app registration's client secret and save\./g,
    "In Mailgrant, click “Replace client secret…” on the account's card and paste it there.",
  ],
  [/ \(or in Mailgrant's app registration settings\)/g, ""],
  [/shown in Mailgrant's app registration settings/g, "shown in step 3 of Connect a mailbox"],
  [/choose that cloud in Mailgrant's app registration settings/g, "choose that cloud in step 2 of Connect a mailbox"],
  [/ in Mailgrant's settings (is|points|may)/g, " Mailgrant was given $1"],
];

/** For a personal Microsoft account, which has no IT admin: the owner of the directory the app is in is the admin. */
const PERSONAL_REWORDINGS: readonly Rewording[] = [
  [
    /use 'Ask your IT admin' to copy the admin-consent link and the message for them\./g,
    "there is no one to ask: you manage the directory you registered the app in, so you approve it yourself.",
  ],
  [/\bYour IT admin opens (.+?) and clicks\b/g, "You open $1 and click"],
];

/** What the app calls what a command does. */
const COMMAND_WORDS: Record<string, string> = {
  test: "Test",
  "sign-in": "Sign in again",
  token: "Mailgrant's token",
  settings: "Use this mailbox",
  secrets: "the Client-secret expiry page",
  directory: "the Client-secret expiry page",
  status: "the list of your mailboxes",
  accounts: "the list of your mailboxes",
  add: "Connect a mailbox",
};

/** Any other command named in backticks: "run `mailgrant test X`" → "use Test". */
const ANY_COMMAND = /(\b(?:run|use) )?`mailgrant(?: ([a-z-]+)[^`]*)?`/gi;

/**
 * A catalogue text (or an error message) in the app's words: no command to run, no screen the app lacks.
 * `personal`: for a personal Microsoft account, no IT admin either.
 */
export function appWords(text: string, personal = false): string {
  let out = text;
  for (const [pattern, words] of personal ? [...REWORDINGS, ...PERSONAL_REWORDINGS] : REWORDINGS) {
    out = out.replace(pattern, words as string);
  }
  return out.replace(ANY_COMMAND, (_match, run: string | undefined, command: string | undefined) => {
    const words = COMMAND_WORDS[command?.toLowerCase() ?? ""] ?? "Mailgrant";
    return run ? `${sameCase(run, "use")} ${words}` : words;
  });
}

/**
 * The diagnosis as the app shows it: its texts in the app's words (the server's own words are left as they are).
 * `personal`: for a personal Microsoft account.
 */
export function inAppWords(diagnosis: Diagnosis, personal = false): Diagnosis {
  return {
    ...diagnosis,
    title: appWords(diagnosis.title, personal),
    explanation: appWords(diagnosis.explanation, personal),
    steps: diagnosis.steps.map((step) => appWords(step, personal)),
  };
}

/** The codes whose fix is a new client secret: the card offers "Replace client secret…" with them. */
export const NEW_SECRET_CODES: ReadonlySet<string> = new Set(["AADSTS7000215", "AADSTS7000222"]);
