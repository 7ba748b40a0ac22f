import { describe, expect, it, vi } from "vitest";
import type { FieldCheck } from "../ipc/client";
import { checkMessage, FieldChecker, verdictFor, type CheckState } from "./field-check.svelte";

describe("a value checked as it is typed", () => {
  it("is checked once typing pauses, and an answer for an older value is dropped", async () => {
    vi.useFakeTimers();
    const answers: { value: string; answer: (check: FieldCheck) => void }[] = [];
    const check = vi.fn((value: string) => new Promise<FieldCheck>((answer) => answers.push({ value, answer })));
    const heard: FieldCheck[] = [];
    const checker = new FieldChecker(check, { debounceMs: 250, onAnswer: (r) => heard.push(r) });
    checker.schedule("a");
    checker.schedule("ab");
    expect(checker.state).toEqual({ status: "checking", value: "ab" });
    await vi.advanceTimersByTimeAsync(300);
    expect(check).toHaveBeenCalledTimes(1);
    expect(check).toHaveBeenCalledWith("ab");

    // A newer value while the check runs: the older answer is not shown.
    checker.schedule("abc", 0);
    await vi.advanceTimersByTimeAsync(0);
    answers[0].answer({ verdict: "ok", value: "ab" });
    answers[1].answer({ verdict: "problem", message: "No." });
    await vi.advanceTimersByTimeAsync(0);
    expect(checker.state).toEqual({ status: "done", value: "abc", result: { verdict: "problem", message: "No." } });
    expect(heard).toEqual([{ verdict: "problem", message: "No." }]);
    vi.useRealTimers();
  });

  it("settles at once when asked, and an empty value or a reset forgets the check", async () => {
    vi.useFakeTimers();
    const check = vi.fn(async (value: string): Promise<FieldCheck> => ({ verdict: "ok", value }));
    const checker = new FieldChecker(check, { debounceMs: 10_000 });
    checker.schedule("Xk5");
    await checker.settle();
    expect(checker.state).toMatchObject({ status: "done", value: "Xk5" });

    checker.schedule("  ");
    expect(checker.state).toEqual({ status: "idle" });
    checker.schedule("late");
    checker.reset();
    await vi.advanceTimersByTimeAsync(20_000);
    expect(check).toHaveBeenCalledTimes(1);
    expect(checker.state).toEqual({ status: "idle" });
    await checker.settle();
    vi.useRealTimers();
  });

  it("keeps a failed check as an error, in the words of an IpcError", async () => {
    const checker = new FieldChecker(async () => Promise.reject({ code: "bad-field", message: "no check" }), {
      debounceMs: 0,
    });
    checker.schedule("x");
    await checker.settle();
    expect(checker.state).toEqual({ status: "error", value: "x", error: { code: "bad-field", message: "no check" } });
  });

  it("says under the field what the check of the value typed now found", () => {
    const done = (result: FieldCheck): CheckState => ({ status: "done", value: "v", result });
    expect(checkMessage({ status: "idle" }, "v")).toBeNull();
    expect(checkMessage(done({ verdict: "ok", value: "v" }), "")).toBeNull();
    expect(checkMessage({ status: "checking", value: "v" }, "v")).toEqual({ kind: "pending", text: "Checking…" });
    expect(checkMessage(done({ verdict: "ok", value: "v" }), "other")).toEqual({ kind: "pending", text: "Checking…" });
    expect(checkMessage(done({ verdict: "ok", value: "v" }), "v")).toEqual({ kind: "ok", text: "Looks right." });
    expect(checkMessage(done({ verdict: "warning", value: "v", message: "Secret ID?" }), "v")).toEqual({
      kind: "warning",
      text: "Secret ID?",
    });
    expect(checkMessage(done({ verdict: "problem", message: "Spaces." }), "v")).toEqual({ kind: "problem", text: "Spaces." });
    expect(
      checkMessage({ status: "error", value: "v", error: { code: "internal", message: "down" } }, "v"),
    ).toEqual({ kind: "warning", text: "Mailgrant could not check this: down" });
    expect(verdictFor(done({ verdict: "ok", value: "v" }), "v")).toEqual({ verdict: "ok", value: "v" });
    expect(verdictFor(done({ verdict: "ok", value: "v" }), "w")).toBeNull();
  });
});
