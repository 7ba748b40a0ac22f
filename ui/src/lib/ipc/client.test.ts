import { describe, expect, it } from "vitest";
import { toIpcError } from "./client";

describe("toIpcError", () => {
  it("keeps the code and message of a structured command error", () => {
    expect(toIpcError({ code: "keychain_unavailable", message: "The keychain is locked." })).toEqual({
      code: "keychain_unavailable",
      message: "The keychain is locked.",
    });
  });

  it("keeps the diagnosis that explains a refusal", () => {
    const diagnosis = { code: "AADSTS70008", title: "The sign-in has expired" };
    const error = toIpcError({ code: "sign-in-required", message: "sign in again", diagnosis });
    expect(error.diagnosis).toBe(diagnosis);
    expect(toIpcError({ code: "config", message: "x", diagnosis: null })).toEqual({ code: "config", message: "x" });
  });

  it("wraps a thrown Error or a bare string as unexpected", () => {
    expect(toIpcError(new Error("boom"))).toEqual({ code: "unexpected", message: "boom" });
    expect(toIpcError("command app_info not found")).toEqual({
      code: "unexpected",
      message: "command app_info not found",
    });
  });
});
