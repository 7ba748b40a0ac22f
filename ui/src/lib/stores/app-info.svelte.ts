// Facts about this build: handed over with the page by Rust (lib/ipc/boot.ts), or else read once over IPC.
import { boot } from "../ipc/boot";
import { ipc, type AppInfo, type IpcError } from "../ipc/client";

export class AppInfoStore {
  info = $state<AppInfo | null>(boot?.info ?? null);
  error = $state<IpcError | null>(null);

  async load(): Promise<void> {
    try {
      this.info = await ipc.appInfo();
      this.error = null;
    } catch (err) {
      this.error = err as IpcError;
    }
  }
}

export const appInfo = new AppInfoStore();
