// Probe layers and protocols in words.
import type { Layer } from "../ipc/bindings/Layer";
import type { LayerStatus } from "../ipc/bindings/LayerStatus";
import type { Protocol } from "../ipc/bindings/Protocol";

export const LAYER_LABELS: Record<Layer, string> = {
  dns: "Find the server (DNS)",
  tcp: "Connect",
  tls: "Secure the connection (TLS)",
  token: "Get a token from Microsoft",
  auth: "Sign in to the mailbox",
  mailbox: "Open the mailbox",
  send: "Send a test message",
};

export const LAYER_STATUS_LABELS: Record<LayerStatus, string> = {
  passed: "Passed",
  warning: "Warning",
  failed: "Failed",
  skipped: "Skipped",
};

export const PROTOCOL_LABELS: Record<Protocol, string> = {
  imap: "IMAP (reading mail)",
  pop: "POP (reading mail)",
  smtp: "SMTP (sending mail)",
  graph: "Microsoft Graph",
};

/** "IMAP.AccessAsUser.All" from "https://outlook.office.com/IMAP.AccessAsUser.All". */
export function shortScope(scope: string): string {
  return scope.replace(/^[a-z]+:\/\/[^/]+\//i, "");
}

export const FLOW_LABELS: Record<string, string> = {
  "auth-code": "In the browser (authorization code)",
  "device-code": "With a code entered on another device (device code)",
  "client-credentials": "As the app itself, with no user (client credentials)",
};

export const SERVICE_LABELS: Record<string, string> = {
  imap: "IMAP",
  pop: "POP",
  smtp: "SMTP",
  "graph-read": "Graph (read)",
  "graph-send": "Graph (send)",
};

export const RESOURCE_LABELS: Record<string, string> = {
  outlook: "Outlook (IMAP, POP, SMTP)",
  graph: "Microsoft Graph",
};
