// The screens and dialogs that are not the first screen, each loaded when it first shows (components/Lazy.svelte).
// The welcome screen is in the first chunk: it is what a new user sees first.
import type { Loader } from "../components/Lazy.svelte";

export const parts = {
  dashboard: () => import("./Dashboard.svelte"),
  connect: () => import("./Connect.svelte"),
  secrets: () => import("./Secrets.svelte"),
  bridge: () => import("./Bridge.svelte"),
  dialogs: () => import("../components/app/AppDialogs.svelte"),
} satisfies Record<string, Loader>;
