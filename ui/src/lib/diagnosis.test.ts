import { describe, expect, it } from "vitest";
import { appWords, inAppWords } from "./diagnosis";
import type { Diagnosis } from "./ipc/client";

// The catalogue's sentences that name a command or a settings page (mailgrant-core's diagnosis texts).
const CATALOGUE: [string, string][] = [
  [
    "In Mailgrant, choose Sign in again for this account (or run `mailgrant sign-in ACCOUNT`) and finish the sign-in in the browser.",
    "In Mailgrant, choose Sign in again for this account and finish the sign-in in the browser.",
  ],
  [
    "Settings like these can take up to an hour to apply; then run `mailgrant test ACCOUNT` again.",
    "Settings like these can take up to an hour to apply; then click Test again.",
  ],
  ["Run `mailgrant test ACCOUNT` again.", "Click Test again."],
  [
    "Run `mailgrant test ACCOUNT`: its token check shows whom the token is for and which permissions it carries.",
    "Click Test again: its “Get a token” step shows whom the token is for and which permissions it carries.",
  ],
  [
    "Run `mailgrant test ACCOUNT --smtp`: its token check shows whom the token is for.",
    "Click Test again: its “Get a token” step shows whom the token is for.",
  ],
  [
    "Set up the mail program to sign in with OAuth2 (XOAUTH2) and to take the token from `mailgrant token ACCOUNT` instead of a password.",
    "Set up the mail program to sign in with OAuth2 (XOAUTH2) and to take the token from Mailgrant instead of a password: “Use this mailbox” on the account's card shows how.",
  ],
  [
    "Make sure the mail program signs in with OAuth2 (XOAUTH2, with `mailgrant token ACCOUNT`), not with a password.",
    "Make sure the mail program signs in with OAuth2 (XOAUTH2, with Mailgrant's token: “Use this mailbox” shows how), not with a password.",
  ],
  [
    "Delete the expired secret. `mailgrant secrets --expiring-within 30` warns before the next one runs out.",
    "Delete the expired secret. Mailgrant warns 30, 14 and 7 days before the next one runs out.",
  ],
  [
    "Using the account at least every few weeks (any `mailgrant token` or probe does) keeps it alive; `mailgrant status` warns before it runs out.",
    "Using the account at least every few weeks (Mailgrant does that by itself while it runs, and so does Test) keeps it alive; the account's card warns before it runs out.",
  ],
  [
    "Change the address to start with https:// (for a custom cloud: its sign-in address and Microsoft Graph address, in the account's settings or with `mailgrant add --authority … --graph-url …`).",
    "Change the address to start with https:// (for a custom cloud: its sign-in address and Microsoft Graph address, in step 2 of Connect a mailbox).",
  ],
  [
    "In Mailgrant, paste it as the app registration's client secret and save.",
    "In Mailgrant, click “Replace client secret…” on the account's card and paste it there.",
  ],
  [
    "Find the redirect URI Mailgrant uses in the details below (or in Mailgrant's app registration settings): http://localhost, mailgrant://auth or https://login.microsoftonline.com/common/oauth2/nativeclient.",
    "Find the redirect URI Mailgrant uses in the details below: http://localhost, mailgrant://auth or https://login.microsoftonline.com/common/oauth2/nativeclient.",
  ],
  [
    "Enter the redirect URI shown in Mailgrant's app registration settings (for example http://localhost) and save.",
    "Enter the redirect URI shown in step 3 of Connect a mailbox (for example http://localhost) and save.",
  ],
  [
    "If your organisation uses a US Government or China cloud, choose that cloud in Mailgrant's app registration settings.",
    "If your organisation uses a US Government or China cloud, choose that cloud in step 2 of Connect a mailbox.",
  ],
  [
    "It also happens when the login address (authority) in Mailgrant's settings is wrong.",
    "It also happens when the login address (authority) Mailgrant was given is wrong.",
  ],
  [
    'there is no app registration or account "x" in Mailgrant: name one of `mailgrant accounts`, or add one first (the wizard or `mailgrant add`)',
    'there is no app registration or account "x" in Mailgrant: connect the mailbox first (Connect a mailbox)',
  ],
];

describe("the catalogue in the app's words", () => {
  it("says what to click instead of what to run, and names only screens the app has", () => {
    for (const [text, expected] of CATALOGUE) {
      expect(appWords(text)).toBe(expected);
      expect(appWords(text)).not.toMatch(/`/);
    }
  });

  it("words any other command by what it does in the app, and leaves the rest alone", () => {
    expect(appWords("Then run `mailgrant test work --imap`.")).toBe("Then use Test.");
    expect(appWords("Run `mailgrant frobnicate`.")).toBe("Use Mailgrant.");
    expect(appWords("See `mailgrant` for help.")).toBe("See Mailgrant for help.");
    const plain = "Open App registrations › your app › Authentication and add mailgrant://auth.";
    expect(appWords(plain)).toBe(plain);
  });

  it("sends a personal account's owner to no IT admin", () => {
    const step = "In Mailgrant, use 'Ask your IT admin' to copy the admin-consent link and the message for them.";
    expect(appWords(step)).toBe(step);
    expect(appWords(step, true)).toBe(
      "In Mailgrant, there is no one to ask: you manage the directory you registered the app in, so you approve it yourself.",
    );
    expect(
      appWords("Your IT admin opens the link (or Entra admin center › the app › Permissions) and clicks Grant admin consent.", true),
    ).toBe("You open the link (or Entra admin center › the app › Permissions) and click Grant admin consent.");
  });

  it("rewords a diagnosis's texts, never what the server said", () => {
    const diagnosis = {
      code: "IMAP_NOT_CONNECTED",
      title: "Signed in, but the mailbox can't be opened over IMAP",
      explanation: "Most often IMAP is turned off for this mailbox.",
      fixer: "it-admin",
      steps: ["Turn IMAP on.", "Settings like these can take up to an hour to apply; then run `mailgrant test ACCOUNT` again."],
      links: [],
      retryable: false,
      remedy: "ask-admin",
      raw: { serverReply: "A1 NO run `mailgrant test` (sic)" },
    } as unknown as Diagnosis;
    const shown = inAppWords(diagnosis);
    expect(shown.steps[1]).toBe("Settings like these can take up to an hour to apply; then click Test again.");
    expect(shown.raw).toBe(diagnosis.raw);
    expect(diagnosis.steps[1]).toMatch(/mailgrant test/);
  });
});
