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

// ------------------------------------------------------------------------------------------------ personal accounts
// The catalogue's texts come from Rust in words for every surface. A personal Microsoft account has no IT admin:
// for one, the steps that send the user to an admin speak to the owner of the directory instead.

type Rewording = readonly [RegExp, string];

/** For a personal Microsoft account, which has no IT admin: the owner of the directory the app is in is the admin. */
const PERSONAL_REWORDINGS: readonly Rewording[] = [
  [
    /use 'Ask your IT admin' to copy the admin-consent link and the message for them\./g,
    "there is no one to ask: you manage the directory you registered the app in, so you approve it yourself.",
  ],
  [/\bYour IT admin opens (.+?) and clicks\b/g, "You open $1 and click"],
];

/** A catalogue text as shown: for a personal Microsoft account (`personal`), without an IT admin. */
export function appWords(text: string, personal = false): string {
  if (!personal) return text;
  let out = text;
  for (const [pattern, words] of PERSONAL_REWORDINGS) out = out.replace(pattern, words);
  return out;
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

