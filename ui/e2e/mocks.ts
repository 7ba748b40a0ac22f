// Injected into the page before the app loads (Playwright `addInitScript`): replaces the Tauri transport with
// `mockIPC`, answering each command from the fixture the test put on `window.__MAILGRANT_FIXTURE__`.
import { mockIPC } from "@tauri-apps/api/mocks";

export interface Fixture {
  /** command name → the value it resolves with */
  responses: Record<string, unknown>;
  /** command name → the error object it rejects with */
  errors?: Record<string, unknown>;
}

declare global {
  interface Window {
    __MAILGRANT_FIXTURE__?: Fixture;
    __MAILGRANT_CALLS__: { cmd: string; args: unknown }[];
  }
}

window.__MAILGRANT_CALLS__ = [];
mockIPC(
  (cmd, args) => {
    window.__MAILGRANT_CALLS__.push({ cmd, args });
    const fixture = window.__MAILGRANT_FIXTURE__ ?? { responses: {} };
    if (fixture.errors && cmd in fixture.errors) throw fixture.errors[cmd];
    if (cmd in fixture.responses) return fixture.responses[cmd];
    throw { code: "unexpected", message: `no mock for command ${cmd}` };
  },
  { shouldMockEvents: true },
);
