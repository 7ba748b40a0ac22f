import { describe, expect, it } from "vitest";
import { appWords, inAppWords } from "./diagnosis";
import type { Diagnosis } from "./ipc/client";

// Rust's catalogue speaks to every surface; for a personal Microsoft account the app leaves out the IT admin.
describe("the catalogue for a personal account", () => {
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

  it("changes a diagnosis's texts only for a personal account, never what the server said", () => {
    const diagnosis = {
      code: "AADSTS65001",
      title: "Nobody has consented yet",
      explanation: "The app needs consent.",
      fixer: "it-admin",
      steps: ["Your IT admin opens the link and clicks Grant admin consent."],
      links: [],
      retryable: false,
      remedy: "sign-in-again",
      raw: { aadsts: 65001, error: "invalid_grant", errorDescription: "Your IT admin opens", traceId: null, correlationId: null, timestamp: null, httpStatus: 400, serverReply: null },
    } as Diagnosis;
    expect(inAppWords(diagnosis)).toEqual(diagnosis);
    const personal = inAppWords(diagnosis, true);
    expect(personal.steps).toEqual(["You open the link and click Grant admin consent."]);
    expect(personal.raw).toEqual(diagnosis.raw);
  });
});
