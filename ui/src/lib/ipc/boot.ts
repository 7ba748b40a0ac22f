// What Rust hands the page before it loads (`BootInfo`, src-tauri/src/lib.rs): the app's facts and how many accounts
// there are, so the first screen shows without waiting for IPC. Absent in a browser and in the UI tests.
import type { BootInfo } from "./bindings/BootInfo";

declare global {
  interface Window {
    __MAILGRANT_BOOT__?: BootInfo;
    /** A button of index.html's static first screen clicked before the app's code ran (its data-intent). */
    __MAILGRANT_SHELL_INTENT__?: string;
  }
}

export type { BootInfo };

export const boot: BootInfo | null = (typeof window !== "undefined" && window.__MAILGRANT_BOOT__) || null;

/** What the user clicked on the static first screen before the app ran, once; null if nothing. */
export function takeShellIntent(): "connect" | "secrets" | "settings" | null {
  const intent = typeof window !== "undefined" ? window.__MAILGRANT_SHELL_INTENT__ : undefined;
  if (typeof window !== "undefined") delete window.__MAILGRANT_SHELL_INTENT__;
  return intent === "connect" || intent === "secrets" || intent === "settings" ? intent : null;
}
