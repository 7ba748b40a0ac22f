// The typed client over the generated bindings: the ONLY module of the UI that imports @tauri-apps/*.
// Playwright tests replace the transport underneath it with `mockIPC`.
import { Channel, invoke, type InvokeArgs } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";

import type { AccountAudience } from "./bindings/AccountAudience";
import type { AccountHealth } from "./bindings/AccountHealth";
import type { AccountView } from "./bindings/AccountView";
import type { ConsentRevocation } from "./bindings/ConsentRevocation";
import type { CredentialExpiry } from "./bindings/CredentialExpiry";
import type { Cloud } from "./bindings/Cloud";
import type { CloudCheck } from "./bindings/CloudCheck";
import type { Commands } from "./bindings/commands";
import type { CustomCloudFields } from "./bindings/CustomCloudFields";
import type { FieldCheck } from "./bindings/FieldCheck";
import type { HandOver } from "./bindings/HandOver";
import type { ProductPreset } from "./bindings/ProductPreset";
import type { SetupGuide } from "./bindings/SetupGuide";
import type { SignInEvent } from "./bindings/SignInEvent";
import type { TenantFound } from "./bindings/TenantFound";
import type { WizardDraft } from "./bindings/WizardDraft";
import type { AppInfo } from "./bindings/AppInfo";
import type { BoundListener } from "./bindings/BoundListener";
import type { BridgeAccount } from "./bindings/BridgeAccount";
import type { BridgeEvent } from "./bindings/BridgeEvent";
import type { BridgeProtocol } from "./bindings/BridgeProtocol";
import type { BridgeSettings } from "./bindings/BridgeSettings";
import type { BridgeStatus } from "./bindings/BridgeStatus";
import type { BridgeView } from "./bindings/BridgeView";
import type { NewBridgePassword } from "./bindings/NewBridgePassword";
import type { OpenSession } from "./bindings/OpenSession";
import type { DesktopSettingsView } from "./bindings/DesktopSettingsView";
import type { Diagnosis } from "./bindings/Diagnosis";
import type { ErrorCode } from "./bindings/ErrorCode";
import type { Flow } from "./bindings/Flow";
import type { ProbeProgress } from "./bindings/ProbeProgress";
import type { ProbeReport } from "./bindings/ProbeReport";
import type { Protocol } from "./bindings/Protocol";
import type { ImportMethod } from "./bindings/ImportMethod";
import type { ImportSource } from "./bindings/ImportSource";
import type { ImportView } from "./bindings/ImportView";
import type { Encryption } from "./bindings/Encryption";
import type { MailServer } from "./bindings/MailServer";
import type { MailSettings } from "./bindings/MailSettings";
import type { Recipe } from "./bindings/Recipe";
import type { RecipeKind } from "./bindings/RecipeKind";
import type { Snippet } from "./bindings/Snippet";
import type { RedirectMode } from "./bindings/RedirectMode";
import type { Remedy } from "./bindings/Remedy";
import type { SecretReplaced } from "./bindings/SecretReplaced";
import type { Service } from "./bindings/Service";

export type {
  AccountAudience,
  AccountHealth,
  AccountView,
  ConsentRevocation,
  CredentialExpiry,
  AppInfo,
  BoundListener,
  BridgeAccount,
  BridgeEvent,
  BridgeProtocol,
  BridgeSettings,
  BridgeStatus,
  BridgeView,
  Cloud,
  CloudCheck,
  Commands,
  CustomCloudFields,
  DesktopSettingsView,
  Diagnosis,
  Encryption,
  ErrorCode,
  FieldCheck,
  Flow,
  HandOver,
  ImportMethod,
  ImportSource,
  ImportView,
  MailServer,
  MailSettings,
  NewBridgePassword,
  OpenSession,
  ProbeProgress,
  ProbeReport,
  ProductPreset,
  Protocol,
  Recipe,
  RecipeKind,
  RedirectMode,
  Remedy,
  SecretReplaced,
  Service,
  SetupGuide,
  SignInEvent,
  Snippet,
  TenantFound,
  WizardDraft,
};

/** The pasted values the wizard checks as they are typed. */
export type CheckedField = "clientId" | "tenant" | "clientSecret";

/**
 * The error object every command rejects with: branch on `code`, show `message`, never parse it. `diagnosis`
 * explains Microsoft's or a mail server's refusal when that is the reason; `subject` names the account or import
 * it is about, when one is.
 */
export interface IpcError {
  code: ErrorCode;
  message: string;
  diagnosis?: Diagnosis;
  subject?: string;
}

export function toIpcError(raw: unknown): IpcError {
  if (raw && typeof raw === "object" && "code" in raw && "message" in raw) {
    const { code, message, diagnosis, subject } = raw as {
      code: unknown;
      message: unknown;
      diagnosis?: Diagnosis | null;
      subject?: unknown;
    };
    // Rust's ErrorCode (generated): the only values a command rejects with.
    const error: IpcError = { code: String(code) as ErrorCode, message: String(message) };
    if (diagnosis) error.diagnosis = diagnosis;
    if (typeof subject === "string") error.subject = subject;
    return error;
  }
  return { code: "unexpected", message: raw instanceof Error ? raw.message : String(raw) };
}

/** A command's arguments as `call` takes them: none for a command without any, else the one object. */
export type CommandArgs<C extends keyof Commands> =
  Commands[C]["args"] extends Record<string, never> ? [] : [args: Commands[C]["args"]];

/**
 * Calls a command of the generated table: a wrong name, a missing or wrong argument, or the wrong type for its
 * answer does not compile. Rejects with an IpcError.
 */
async function call<C extends keyof Commands>(command: C, ...args: CommandArgs<C>): Promise<Commands[C]["returns"]> {
  try {
    return await invoke<Commands[C]["returns"]>(command, args[0] as InvokeArgs | undefined);
  } catch (raw) {
    throw toIpcError(raw);
  }
}

/** `call`'s signature, for the tests that pin down what does not compile. */
export type TypedCall = typeof call;

export const ipc = {
  appInfo: () => call("app_info"),
  listAccounts: () => call("list_accounts"),
  accountViews: () => call("account_views"),
  /** Refreshes every token of the account now; rejects with the diagnosis when Microsoft refuses. */
  refreshAccount: (name: string) => call("refresh_account", { name }),
  /** Forgets the account (keychain and config); resolves with where to revoke the consent. */
  removeAccount: (name: string) => call("remove_account", { name }),
  /** "Use this mailbox": the account's servers, user name and the recipes for mail programs, as Rust makes them. */
  mailSettings: (name: string): Promise<MailSettings> => call("mail_settings", { name }),
  /**
   * Replaces the client secret of a registration (its id, client ID or name) with a new Value: Rust has Microsoft
   * accept it first, then keeps it in the keychain in place of the old ones. `expires`: "YYYY-MM-DD", or null.
   */
  replaceClientSecret: (registration: string, value: string, expires: string | null): Promise<SecretReplaced> =>
    call("replace_client_secret", { registration, value, expires }),
  listCredentials: () => call("list_credentials"),
  /** The board's rows (as shown, filtered) as CSV, the columns `mailgrant secrets --csv` writes. */
  credentialsCsv: (rows: CredentialExpiry[]) => call("credentials_csv", { rows }),
  explainCode: (code: string) => call("explain_code", { code }),

  // Living on the desktop: what closing the window does, starting at login, quitting.
  desktopSettings: () => call("desktop_settings"),
  /** true: closing the window keeps Mailgrant running in the background; false: closing it quits. */
  setKeepRunning: (on: boolean) => call("set_keep_running", { on }),
  /** Starts Mailgrant hidden at login (an autostart entry), or no longer. */
  setStartAtLogin: (on: boolean) => call("set_start_at_login", { on }),
  /** Quits Mailgrant: the window and the background work. */
  quitApp: () => call("quit_app"),
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
    return call("test_account", { name, protocols, sendToSelf, onLayer: channel });
  },

  // The mail bridge: programs that only know a password log in to it, and it signs in to Microsoft for them.
  /** The account's user name for the bridge, whether it has a bridge password (never the password itself). */
  bridgeAccount: (name: string): Promise<BridgeAccount> => call("bridge_account", { name }),
  /** A new bridge password, to show once: the old one stops working at once. */
  newBridgePassword: (name: string): Promise<NewBridgePassword> => call("new_bridge_password", { name }),
  /** Deletes the account's bridge password; false when it had none. */
  revokeBridgePassword: (name: string): Promise<boolean> => call("revoke_bridge_password", { name }),
  /** Starts the bridge for every account, or starts it again on the ports it has, for this computer only (`null`)
   * or also for the devices on the network at `lanAddress`; it runs as long as the app. */
  startBridge: (lanAddress: string | null): Promise<BridgeView> => call("start_bridge", { lanAddress }),
  stopBridge: (): Promise<void> => call("stop_bridge"),
  /** The running bridge's listeners, sessions and last errors; null when it is off. */
  bridgeStatus: (): Promise<BridgeView | null> => call("bridge_status"),

  // The organisation's app registrations from Microsoft Graph (the expiry board's imports).
  listImports: () => call("list_imports"),
  importSources: () => call("import_sources"),
  /** An admin signs in (events as for `signIn`; `cancelSignIn` stops it), or the app reads as itself. */
  importDirectory: (
    registration: string,
    method: ImportMethod,
    onEvent: (event: SignInEvent) => void,
  ): Promise<ImportView> => {
    const channel = new Channel<SignInEvent>();
    channel.onmessage = onEvent;
    return call("import_directory", { registration, method, onEvent: channel });
  },
  refreshImport: (id: string) => call("refresh_import", { id }),
  removeImport: (id: string) => call("remove_import", { id }),

  // The "Connect a mailbox" wizard.
  checkField: (field: CheckedField, value: string) => call("check_field", { field, value }),
  setupGuide: (draft: WizardDraft) => call("setup_guide", { draft }),
  /** The products Mailgrant knows how to set Microsoft 365 up for (a Jira mail app, EmailEngine, a service…). */
  productPresets: (): Promise<ProductPreset[]> => call("product_presets"),
  /** Every value a product asks for, from the account that verified its registration (never the secret's Value). */
  handOver: (name: string, product: string, redirectUri: string | null): Promise<HandOver> =>
    call("hand_over", { name, product, redirectUri }),
  /** Checks a custom cloud's addresses: each problem by field, or the cloud when there is none. */
  checkCloud: (fields: CustomCloudFields): Promise<CloudCheck> => call("check_cloud", { fields }),
  /** Rejects with an IpcError whose diagnosis explains an unknown tenant (AADSTS90002) or a network failure. */
  discoverTenant: (draft: WizardDraft) => call("discover_tenant", { draft }),
  /** The secret goes to the keychain and never comes back. `replace`: saving again after going back. */
  saveAccount: (draft: WizardDraft, secret: string | null, secretExpires: string | null, replace: boolean) =>
    call("save_account", { draft, secret, secretExpires, replace }),
  /** Opens the system browser (or yields a device code) and resolves once the tokens are in the keychain. */
  signIn: (name: string, onEvent: (event: SignInEvent) => void): Promise<AccountHealth> => {
    const channel = new Channel<SignInEvent>();
    channel.onmessage = onEvent;
    return call("sign_in", { name, onEvent: channel });
  },
  cancelSignIn: () => call("cancel_sign_in"),
  submitSignInAddress: (address: string) => call("submit_sign_in_address", { address }),
};
