import { describe, expect, it } from "vitest";
import { errorTail, errorText, NEXT_STEPS, nextStep } from "./errors";

describe("what to do about an error", () => {
  it("says it for every code, in words and not as a command", () => {
    for (const [code, text] of Object.entries(NEXT_STEPS)) {
      expect(text, code).toMatch(/^[A-Z].*[.!]$/);
      expect(text, code).not.toMatch(/`|--|\bmailgrant [a-z]/);
    }
    expect(nextStep({ code: "wrong-flow" })).toMatch(/signs in another way/);
    expect(nextStep({ code: "needs-desktop-app" })).toMatch(/Mailgrant app/);
  });

  it("follows the message with it", () => {
    expect(errorText({ code: "config", message: "the config file is damaged" })).toBe(
      `The config file is damaged. ${NEXT_STEPS.config}`,
    );
    expect(errorTail({ code: "keychain-unavailable", message: "the keychain is locked." })).toBe(
      `the keychain is locked. ${NEXT_STEPS["keychain-unavailable"]}`,
    );
    expect(errorText({ code: "unexpected", message: "" })).toBe(NEXT_STEPS.unexpected);
  });

});
