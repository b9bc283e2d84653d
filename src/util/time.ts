/**
 * Time as the coordinator sees it: a clock and one-shot timers, injected so that tests drive
 * both (MockTime) and need neither sockets nor sleeps.
 */

export type TimerHandle = object;

export interface Time {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `fn` once after `delayMs`; the handle cancels it. */
  setTimeout(fn: () => void, delayMs: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** Node's largest timer delay; longer ones would fire at once. */
const MAX_DELAY = 2 ** 31 - 1;

/** The wall clock and Node's timers (unref'd: they never keep a process alive on their own). */
export const SYSTEM_TIME: Time = {
  now: () => Date.now(),
  setTimeout(fn, delayMs) {
    const t = setTimeout(fn, Math.min(Math.max(0, delayMs), MAX_DELAY));
    t.unref();
    return t;
  },
  clearTimeout(handle) {
    clearTimeout(handle as NodeJS.Timeout);
  },
};

interface MockTimer {
  at: number;
  seq: number;
  fn: () => void;
}

/** Lets queued promise reactions (the coordinator's operations and appends) run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * A virtual clock. `advance` moves it forward, firing due timers in deadline order with the clock
 * set to each one's deadline, and lets the work they start finish before the next fires.
 */
export class MockTime implements Time {
  private current: number;
  private seq = 0;
  private readonly timers = new Set<MockTimer>();

  constructor(start = 1_700_000_000_000) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, delayMs: number): TimerHandle {
    const t: MockTimer = { at: this.current + Math.max(0, delayMs), seq: this.seq++, fn };
    this.timers.add(t);
    return t;
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers.delete(handle as MockTimer);
  }

  /** Timers not yet fired. */
  get pending(): number {
    return this.timers.size;
  }

  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    await settle();
    for (;;) {
      let next: MockTimer | undefined;
      for (const t of this.timers) if (t.at <= target && (!next || t.at < next.at || (t.at === next.at && t.seq < next.seq))) next = t;
      if (!next) break;
      this.timers.delete(next);
      this.current = Math.max(this.current, next.at);
      next.fn();
      await settle();
    }
    this.current = target;
    await settle();
  }
}
