import { mount } from "svelte";
import App from "./App.svelte";
import { preload } from "./lib/components/Lazy.svelte";
import { boot } from "./lib/ipc/boot";
import { parts } from "./lib/screens/parts";
import { accounts } from "./lib/stores/accounts.svelte";
import "./app.css";

const target = document.getElementById("app");
if (!target) throw new Error("index.html has no #app element");

// Rust counted the accounts: none → Welcome at once (the list is still loaded, to be sure); some → the dashboard's
// code loads while they do.
if (boot?.accounts === 0) accounts.loaded = true;
if (boot?.accounts) await preload(parts.dashboard).catch(() => undefined);

export default mount(App, { target });
