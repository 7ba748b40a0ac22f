// Facts about this build, read once from Rust over IPC.
import { ipc, type AppInfo, type IpcError } from "../ipc/client";

export class AppInfoStore {
  info = $state<AppInfo | null>(null);
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
