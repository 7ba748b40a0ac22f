// What the user can do about each kind of error Rust rejects a command with, in plain words. A Record over the
// generated ErrorCode: a code added in Rust does not compile here until it says what to do next. Where an error
// comes with a diagnosis, the diagnosis explains it instead (its steps, its remedy).
import { appWords } from "../diagnosis";
import type { ErrorCode, IpcError } from "./client";

export const NEXT_STEPS: Record<ErrorCode, string> = {
  "unknown-account": "The account may have been removed meanwhile: reload the list of mailboxes.",
  "unknown-import": "The import may have been removed meanwhile: reload the list.",
  "unknown-registration": "The app registration may have been removed from Mailgrant: connect the mailbox again.",
  "sign-in-required": "Sign in to this account again.",
  "keychain-unavailable": "Unlock your system keychain (or install one), then try again.",
  keychain: "Check that your system keychain is unlocked and lets Mailgrant in, then try again.",
  config: "Check that Mailgrant's data folder is there and the disk is not full, then try again.",
  token: "Try again in a moment. If it keeps failing, sign in to the account again.",
  "sign-in": "Start the sign-in again.",
  cancelled: "Nothing changed. Start again when you are ready.",
  "timed-out": "Start the sign-in again and finish it in the browser within a few minutes.",
  "bad-callback": "Start the sign-in again, and finish it in the browser tab it opens.",
  "bad-answer": "Correct the answer the message mentions, then try again.",
  "bad-date": "Enter the expiry date Entra shows for the secret, as year-month-day, such as 2027-05-01.",
  "bad-field": "Try again. If it happens again, restart Mailgrant and report it.",
  "bad-secret": "Paste the client secret's Value from Entra (Certificates & secrets), not its Secret ID.",
  "bad-tenant":
    "Paste the Directory (tenant) ID from the app's Overview page in Entra, or your organisation's domain.",
  "wrong-flow": "This account signs in another way: use Sign in again on its card.",
  "needs-desktop-app": "Sign in from the Mailgrant app window: only the app receives the link the browser returns to.",
  account: "Try again. If it keeps failing, check that your system keychain is unlocked.",
  directory: "Try again, or sign in as someone allowed to read your organisation's app registrations.",
  "app-only": "Add the app's client secret and your organisation's Directory (tenant) ID, then try again.",
  "no-such-service": "Choose something this account is set up to do.",
  "no-sign-in": "The sign-in ended: start it again, then paste the address.",
  autostart: "Try again, or add Mailgrant to your system's startup applications yourself.",
  internal: "Try again. If it happens again, restart Mailgrant and report it.",
  unexpected: "Try again. If it happens again, restart Mailgrant.",
};

/** What the user can do next about the error, in a sentence. */
export function nextStep(error: Pick<IpcError, "code">): string {
  return NEXT_STEPS[error.code] ?? NEXT_STEPS.unexpected;
}

function period(text: string): string {
  return text && !/[.!?]$/.test(text) ? `${text}.` : text;
}

/** "Message. What to do next." — where an error is shown on its own, without a diagnosis. */
export function errorText(error: Pick<IpcError, "code" | "message">): string {
  const message = appWords(error.message.trim());
  const first = message ? message[0].toUpperCase() + message.slice(1) : "";
  return first ? `${period(first)} ${nextStep(error)}` : nextStep(error);
}

/** "message. What to do next." — after a lead such as "Could not reload the accounts:". */
export function errorTail(error: Pick<IpcError, "code" | "message">): string {
  const message = period(appWords(error.message.trim()));
  return message ? `${message} ${nextStep(error)}` : nextStep(error);
}
