import { readFileSync } from "node:fs";

import { defineConfig, type Plugin } from "vitest/config";
import { svelte } from "@sveltejs/vite-plugin-svelte";

import { logoMarkup } from "./src/lib/components/logo.js";

/** Writes the app icon into index.html's static first screen where it says `<!--logo:SIZE-->`, as Logo.svelte draws it. */
function shellLogo(): Plugin {
  const svg = readFileSync(new URL("../icons/mailgrant.svg", import.meta.url), "utf8");
  return {
    name: "mailgrant-shell-logo",
    transformIndexHtml: (html) =>
      html.replace(/<!--logo:(\d+)-->/g, (_, size: string) => `<span class="logo">${logoMarkup(svg, Number(size))}</span>`),
  };
}

// Tauri serves ui/dist through its custom protocol; in `tauri dev` it loads this dev server instead.
export default defineConfig({
  plugins: [svelte(), shellLogo()],
  clearScreen: false,
  server: { port: 5173, strictPort: true },
  build: {
    target: "safari15",
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: false,
  },
  test: {
    include: ["src/**/*.test.ts"],
    environment: "node",
  },
});
