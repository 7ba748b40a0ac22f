import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

// Bundles e2e/mocks.ts (with @tauri-apps/api/mocks) into one script Playwright can inject before the app loads.
export default defineConfig({
  build: {
    outDir: fileURLToPath(new URL("./.mocks", import.meta.url)),
    emptyOutDir: true,
    lib: {
      entry: fileURLToPath(new URL("./mocks.ts", import.meta.url)),
      formats: ["iife"],
      name: "MailgrantMocks",
      fileName: () => "mocks.js",
    },
  },
});
