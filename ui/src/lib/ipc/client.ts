// The typed client over the generated bindings: the ONLY module of the UI that imports @tauri-apps/*.
// Playwright tests replace the transport underneath it with `mockIPC`.
import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";

import type { AppInfo } from "./bindings/AppInfo";
import type { DeepLinkEvent } from "./bindings/DeepLinkEvent";

export type { AppInfo, DeepLinkEvent };

/** The error object every command rejects with: branch on `code`, show `message`, never parse it. */
export interface IpcError {
  code: string;
  message: string;
}

export function toIpcError(raw: unknown): IpcError {
  if (raw && typeof raw === "object" && "code" in raw && "message" in raw) {
    const { code, message } = raw as { code: unknown; message: unknown };
    return { code: String(code), message: String(message) };
  }
  return { code: "unexpected", message: raw instanceof Error ? raw.message : String(raw) };
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (raw) {
    throw toIpcError(raw);
  }
}

export const ipc = {
  appInfo: () => call<AppInfo>("app_info"),
  onDeepLink: (handler: (event: DeepLinkEvent) => void): Promise<UnlistenFn> =>
    listen<DeepLinkEvent>("deep-link", (e) => handler(e.payload)),
};
