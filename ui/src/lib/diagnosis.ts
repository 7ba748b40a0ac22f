// Diagnoses in words: who fixes a problem, and what the server said as labelled lines (never JSON).
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
