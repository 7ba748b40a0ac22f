import { describe, expect, it } from "vitest";
import { Navigation } from "./navigation.svelte";

describe("Navigation", () => {
  it("starts on the welcome screen with nowhere to go back to", () => {
    const nav = new Navigation();
    expect(nav.current).toBe("welcome");
    expect(nav.canGoBack).toBe(false);
    nav.back();
    expect(nav.current).toBe("welcome");
  });

  it("goes forward, back and home", () => {
    const nav = new Navigation();
    nav.go("connect");
    nav.go("secrets");
    expect(nav.current).toBe("secrets");
    nav.back();
    expect(nav.current).toBe("connect");
    nav.go("connect");
    nav.back();
    expect(nav.current).toBe("welcome");
    nav.go("secrets");
    nav.home();
    expect(nav.current).toBe("welcome");
    expect(nav.canGoBack).toBe(false);
  });
});
