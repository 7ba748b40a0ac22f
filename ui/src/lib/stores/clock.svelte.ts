// A ticking clock for countdowns. It only ticks while something on screen uses it (start → stop).
import { unixNow } from "../format/time";

export class Clock {
  now = $state(unixNow());
  #users = 0;
  #timer: ReturnType<typeof setInterval> | null = null;

  /** Starts ticking once a second; call the returned function to stop. */
  start(): () => void {
    this.#users += 1;
    this.now = unixNow();
    this.#timer ??= setInterval(() => (this.now = unixNow()), 1000);
    return () => {
      this.#users -= 1;
      if (this.#users === 0 && this.#timer !== null) {
        clearInterval(this.#timer);
        this.#timer = null;
      }
    };
  }
}

export const clock = new Clock();
