// What Rust hands the page before it loads (`BootInfo`, src-tauri/src/lib.rs): the app's facts and how many accounts
// there are, so the first screen shows without waiting for IPC. Absent in a browser and in the UI tests.
import type { BootInfo } from "./bindings/BootInfo";

declare global {
  interface Window {
    __MAILGRANT_BOOT__?: BootInfo;
  }
}

export type { BootInfo };

export const boot: BootInfo | null = (typeof window !== "undefined" && window.__MAILGRANT_BOOT__) || null;
