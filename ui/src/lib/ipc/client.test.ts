import { describe, expect, it } from "vitest";
import { toIpcError } from "./client";

describe("toIpcError", () => {
  it("keeps the code and message of a structured command error", () => {
    expect(toIpcError({ code: "keychain_unavailable", message: "The keychain is locked." })).toEqual({
      code: "keychain_unavailable",
      message: "The keychain is locked.",
    });
  });

  it("wraps a thrown Error or a bare string as unexpected", () => {
    expect(toIpcError(new Error("boom"))).toEqual({ code: "unexpected", message: "boom" });
    expect(toIpcError("command app_info not found")).toEqual({
      code: "unexpected",
      message: "command app_info not found",
    });
  });
});
