// The typed client over the generated bindings: the ONLY module of the UI that imports @tauri-apps/*.
// Playwright tests replace the transport underneath it with `mockIPC`.
import { Channel, invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";

import type { AccountAudience } from "./bindings/AccountAudience";
import type { AccountHealth } from "./bindings/AccountHealth";
import type { AccountView } from "./bindings/AccountView";
import type { ConsentRevocation } from "./bindings/ConsentRevocation";
import type { CredentialExpiry } from "./bindings/CredentialExpiry";
import type { Cloud } from "./bindings/Cloud";
import type { FieldCheck } from "./bindings/FieldCheck";
import type { SetupGuide } from "./bindings/SetupGuide";
import type { SignInEvent } from "./bindings/SignInEvent";
import type { TenantFound } from "./bindings/TenantFound";
import type { WizardDraft } from "./bindings/WizardDraft";
import type { AppInfo } from "./bindings/AppInfo";
import type { DesktopSettingsView } from "./bindings/DesktopSettingsView";
import type { Diagnosis } from "./bindings/Diagnosis";
import type { ErrorCode } from "./bindings/ErrorCode";
import type { ProbeProgress } from "./bindings/ProbeProgress";
import type { ProbeReport } from "./bindings/ProbeReport";
import type { Protocol } from "./bindings/Protocol";
import type { ImportMethod } from "./bindings/ImportMethod";
import type { ImportSource } from "./bindings/ImportSource";
import type { ImportView } from "./bindings/ImportView";

export type {
  AccountAudience,
  AccountHealth,
  AccountView,
  ConsentRevocation,
  CredentialExpiry,
  AppInfo,
  Cloud,
  DesktopSettingsView,
  Diagnosis,
  ErrorCode,
  FieldCheck,
  ImportMethod,
  ImportSource,
  ImportView,
  ProbeProgress,
  ProbeReport,
  Protocol,
  SetupGuide,
  SignInEvent,
  TenantFound,
  WizardDraft,
};

/** The pasted values the wizard checks as they are typed. */
export type CheckedField = "clientId" | "tenant" | "clientSecret";

/**
 * The error object every command rejects with: branch on `code`, show `message`, never parse it. `diagnosis`
 * explains Microsoft's or a mail server's refusal when that is the reason.
 */
export interface IpcError {
  code: ErrorCode;
  message: string;
  diagnosis?: Diagnosis;
}

export function toIpcError(raw: unknown): IpcError {
  if (raw && typeof raw === "object" && "code" in raw && "message" in raw) {
    const { code, message, diagnosis } = raw as { code: unknown; message: unknown; diagnosis?: Diagnosis | null };
    // Rust's ErrorCode (generated): the only values a command rejects with.
    const error: IpcError = { code: String(code) as ErrorCode, message: String(message) };
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
  accountViews: () => call<AccountView[]>("account_views"),
  /** Refreshes every token of the account now; rejects with the diagnosis when Microsoft refuses. */
  refreshAccount: (name: string) => call<AccountHealth>("refresh_account", { name }),
  /** Forgets the account (keychain and config); resolves with where to revoke the consent. */
  removeAccount: (name: string) => call<ConsentRevocation>("remove_account", { name }),
  listCredentials: () => call<CredentialExpiry[]>("list_credentials"),
  explainCode: (code: string) => call<Diagnosis | null>("explain_code", { code }),

  // Living on the desktop: what closing the window does, starting at login, quitting.
  desktopSettings: () => call<DesktopSettingsView>("desktop_settings"),
  /** true: closing the window keeps Mailgrant running in the background; false: closing it quits. */
  setKeepRunning: (on: boolean) => call<DesktopSettingsView>("set_keep_running", { on }),
  /** Starts Mailgrant hidden at login (an autostart entry), or no longer. */
  setStartAtLogin: (on: boolean) => call<DesktopSettingsView>("set_start_at_login", { on }),
  /** Quits Mailgrant: the window and the background work. */
  quitApp: () => call<void>("quit_app"),
  /** The background refresh changed an account's tokens or health: reload. */
  onAccountsChanged: (handler: () => void): Promise<UnlistenFn> => listen<null>("accounts-changed", () => handler()),
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

  // The organisation's app registrations from Microsoft Graph (the expiry board's imports).
  listImports: () => call<ImportView[]>("list_imports"),
  importSources: () => call<ImportSource[]>("import_sources"),
  /** An admin signs in (events as for `signIn`; `cancelSignIn` stops it), or the app reads as itself. */
  importDirectory: (
    registration: string,
    method: ImportMethod,
    onEvent: (event: SignInEvent) => void,
  ): Promise<ImportView> => {
    const channel = new Channel<SignInEvent>();
    channel.onmessage = onEvent;
    return call<ImportView>("import_directory", { registration, method, onEvent: channel });
  },
  refreshImport: (id: string) => call<ImportView>("refresh_import", { id }),
  removeImport: (id: string) => call<void>("remove_import", { id }),

  // The "Connect a mailbox" wizard.
  checkField: (field: CheckedField, value: string) => call<FieldCheck>("check_field", { field, value }),
  setupGuide: (draft: WizardDraft) => call<SetupGuide>("setup_guide", { draft }),
  /** Rejects with an IpcError whose diagnosis explains an unknown tenant (AADSTS90002) or a network failure. */
  discoverTenant: (draft: WizardDraft) => call<TenantFound>("discover_tenant", { draft }),
  /** The secret goes to the keychain and never comes back. `replace`: saving again after going back. */
  saveAccount: (draft: WizardDraft, secret: string | null, secretExpires: string | null, replace: boolean) =>
    call<AccountHealth>("save_account", { draft, secret, secretExpires, replace }),
  /** Opens the system browser (or yields a device code) and resolves once the tokens are in the keychain. */
  signIn: (name: string, onEvent: (event: SignInEvent) => void): Promise<AccountHealth> => {
    const channel = new Channel<SignInEvent>();
    channel.onmessage = onEvent;
    return call<AccountHealth>("sign_in", { name, onEvent: channel });
  },
  cancelSignIn: () => call<boolean>("cancel_sign_in"),
  submitSignInAddress: (address: string) => call<void>("submit_sign_in_address", { address }),
};
