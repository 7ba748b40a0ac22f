import { describe, expect, it } from "vitest";
import { toIpcError, type AccountHealth, type TypedCall } from "./client";

describe("toIpcError", () => {
  it("keeps the code and message of a structured command error", () => {
    expect(toIpcError({ code: "keychain-unavailable", message: "The keychain is locked." })).toEqual({
      code: "keychain-unavailable",
      message: "The keychain is locked.",
    });
  });

  it("keeps the diagnosis that explains a refusal", () => {
    const diagnosis = { code: "AADSTS70008", title: "The sign-in has expired" };
    const error = toIpcError({ code: "sign-in-required", message: "sign in again", diagnosis });
    expect(error.diagnosis).toBe(diagnosis);
    expect(toIpcError({ code: "config", message: "x", diagnosis: null })).toEqual({ code: "config", message: "x" });
  });

  it("keeps the account or import the error is about", () => {
    expect(toIpcError({ code: "unknown-account", message: "no account", diagnosis: null, subject: "adele" })).toEqual({
      code: "unknown-account",
      message: "no account",
      subject: "adele",
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

// Never run: svelte-check compiles it, and fails when one of these mistakes stops being a compile error.
export function typedByTheCommandTable(call: TypedCall): void {
  void call("app_info");
  const health: Promise<AccountHealth> = call("refresh_account", { name: "adele" });
  void health;
  // @ts-expect-error: no such command
  void call("refresh_acount", { name: "adele" });
  // @ts-expect-error: the account's name is missing
  void call("refresh_account");
  // @ts-expect-error: the name is a string
  void call("refresh_account", { name: 7 });
  // @ts-expect-error: the argument is called `name`
  void call("remove_account", { account: "adele" });
  // @ts-expect-error: app_info takes no arguments
  void call("app_info", { name: "adele" });
  void call("replace_client_secret", { registration: "reports", value: "v", expires: null });
  // @ts-expect-error: the expiry is a date string or null, never left out
  void call("replace_client_secret", { registration: "reports", value: "v" });
  // @ts-expect-error: refresh_account answers with the account's health, not a string
  const wrong: Promise<string> = call("refresh_account", { name: "adele" });
  void wrong;
}
