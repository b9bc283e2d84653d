/**
 * Kafka's DelayedOperationPurgatory: requests that cannot be answered yet (acks=all produces,
 * long-polling fetches) wait here. An operation completes exactly once: when its condition holds
 * on `tryComplete`, when its timeout fires, or when an event on a key it watches (an append, a
 * high-watermark move, a follower fetch, a stop) makes `checkAndComplete` find the condition
 * true. Completing removes it from every key it watched, so watcher sets never outlive it.
 */
import type { Time, TimerHandle } from '../../util/time.js';

export abstract class DelayedOperation {
  private completed = false;
  private timer: TimerHandle | undefined;
  private time: Time | undefined;
  private unwatch: (() => void) | undefined;

  constructor(readonly delayMs: number) {}

  /** Checks the condition; if it holds, completes (via `forceComplete`) and returns true. */
  abstract tryComplete(): boolean;
  /** Runs once, whichever way the operation completed. */
  protected abstract onComplete(): void;
  /** Runs after `onComplete` when the timeout was the reason. */
  protected onExpiration(): void {}

  get isCompleted(): boolean {
    return this.completed;
  }

  /** Completes now unless already done; returns whether this call did it. */
  forceComplete(): boolean {
    if (this.completed) return false;
    this.completed = true;
    if (this.timer !== undefined) this.time!.clearTimeout(this.timer);
    this.timer = undefined;
    this.unwatch?.();
    this.unwatch = undefined;
    this.onComplete();
    return true;
  }

  /** @internal The purgatory arms the timeout and records how to stop watching. */
  watchedBy(time: Time, unwatch: () => void): void {
    this.time = time;
    this.unwatch = unwatch;
    this.timer = time.setTimeout(() => {
      this.timer = undefined;
      if (this.forceComplete()) this.onExpiration();
    }, this.delayMs);
  }
}

export class DelayedOperationPurgatory<T extends DelayedOperation> {
  private readonly watchers = new Map<string, Set<T>>();

  constructor(
    readonly name: string,
    private readonly time: Time,
  ) {}

  /**
   * Completes `op` now if its condition holds; otherwise watches it on `keys` and arms its
   * timeout. The condition is checked again once watching, so an event between the two checks
   * is not missed. Returns whether it completed.
   */
  tryCompleteElseWatch(op: T, keys: readonly string[]): boolean {
    if (op.tryComplete()) return true;
    const sets: Set<T>[] = [];
    for (const key of new Set(keys)) {
      let set = this.watchers.get(key);
      if (!set) this.watchers.set(key, (set = new Set()));
      set.add(op);
      sets.push(set);
    }
    op.watchedBy(this.time, () => {
      for (const key of new Set(keys)) {
        const set = this.watchers.get(key);
        if (!set) continue;
        set.delete(op);
        if (set.size === 0) this.watchers.delete(key);
      }
    });
    if (op.isCompleted) return true;
    return op.tryComplete();
  }

  /** An event on `key`: each operation watching it checks its condition. Returns how many completed. */
  checkAndComplete(key: string): number {
    const set = this.watchers.get(key);
    if (!set) return 0;
    let completed = 0;
    for (const op of [...set]) if (!op.isCompleted && op.tryComplete()) completed++;
    return completed;
  }

  /** Completes every waiting operation at once (the broker is stopping). */
  completeAll(): number {
    const all = new Set<T>();
    for (const set of this.watchers.values()) for (const op of set) all.add(op);
    let completed = 0;
    for (const op of all) if (op.forceComplete()) completed++;
    return completed;
  }

  /** Operations waiting (each counted once however many keys it watches). */
  get delayed(): number {
    const all = new Set<T>();
    for (const set of this.watchers.values()) for (const op of set) all.add(op);
    return all.size;
  }

  /** Keys with at least one watcher. */
  get watchedKeys(): number {
    return this.watchers.size;
  }
}
