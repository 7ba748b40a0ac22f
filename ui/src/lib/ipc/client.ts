// The typed client over the generated bindings: the ONLY module of the UI that imports @tauri-apps/*.
// Playwright tests replace the transport underneath it with `mockIPC`.
import { Channel, invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";

import type { AccountHealth } from "./bindings/AccountHealth";
import type { AppInfo } from "./bindings/AppInfo";
import type { DeepLinkEvent } from "./bindings/DeepLinkEvent";
import type { Diagnosis } from "./bindings/Diagnosis";
import type { ProbeProgress } from "./bindings/ProbeProgress";
import type { ProbeReport } from "./bindings/ProbeReport";
import type { Protocol } from "./bindings/Protocol";

export type { AccountHealth, AppInfo, DeepLinkEvent, Diagnosis, ProbeProgress, ProbeReport, Protocol };

/**
 * The error object every command rejects with: branch on `code`, show `message`, never parse it. `diagnosis`
 * explains Microsoft's or a mail server's refusal when that is the reason.
 */
export interface IpcError {
  code: string;
  message: string;
  diagnosis?: Diagnosis;
}

export function toIpcError(raw: unknown): IpcError {
  if (raw && typeof raw === "object" && "code" in raw && "message" in raw) {
    const { code, message, diagnosis } = raw as { code: unknown; message: unknown; diagnosis?: Diagnosis | null };
    const error: IpcError = { code: String(code), message: String(message) };
    if (diagnosis) error.diagnosis = diagnosis;
    return error;
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
  listAccounts: () => call<AccountHealth[]>("list_accounts"),
  /** Probes the account's mailbox; `onLayer` hears each layer as it completes. Empty `protocols`: all it uses. */
  testAccount: (
    name: string,
    protocols: Protocol[],
    sendToSelf: boolean,
    onLayer: (progress: ProbeProgress) => void,
  ): Promise<ProbeReport[]> => {
    const channel = new Channel<ProbeProgress>();
    channel.onmessage = onLayer;
    return call<ProbeReport[]>("test_account", { name, protocols, sendToSelf, onLayer: channel });
  },
  onDeepLink: (handler: (event: DeepLinkEvent) => void): Promise<UnlistenFn> =>
    listen<DeepLinkEvent>("deep-link", (e) => handler(e.payload)),
};
