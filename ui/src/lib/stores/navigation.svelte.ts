// Which screen is showing. A small history stack, so Back returns where the user came from.

export type Screen = "welcome" | "connect" | "secrets" | "bridge";

export const SCREEN_TITLES: Record<Screen, string> = {
  welcome: "Welcome",
  connect: "Connect a mailbox",
  secrets: "Client-secret expiry",
  bridge: "Programs that only know a password",
};

export class Navigation {
  #stack = $state<Screen[]>(["welcome"]);

  get current(): Screen {
    return this.#stack[this.#stack.length - 1];
  }

  get canGoBack(): boolean {
    return this.#stack.length > 1;
  }

  go(screen: Screen): void {
    if (screen !== this.current) this.#stack.push(screen);
  }

  back(): void {
    if (this.canGoBack) this.#stack.pop();
  }

  home(): void {
    this.#stack = ["welcome"];
  }
}

export const navigation = new Navigation();
