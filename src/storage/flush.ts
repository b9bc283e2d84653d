/**
 * Group commit: concurrent callers share one run of an expensive action (an fdatasync).
 * request() resolves after a run that *started after* the request, so a caller whose write
 * completed before calling request() knows that run covered it. While one run is in flight,
 * every new request joins the single queued run that starts when it finishes.
 */
export class GroupCommit {
  private running: Promise<void> | undefined;
  private queued: { promise: Promise<void>; resolve: () => void; reject: (e: unknown) => void } | undefined;
  /** Runs started so far (tests check that concurrent requests shared runs). */
  runs = 0;

  constructor(private readonly action: () => Promise<void>) {}

  request(): Promise<void> {
    if (!this.running) return this.start();
    if (!this.queued) {
      let resolve!: () => void;
      let reject!: (e: unknown) => void;
      const promise = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      this.queued = { promise, resolve, reject };
    }
    return this.queued.promise;
  }

  /** Resolves when nothing is running or queued (failures ignored). */
  async idle(): Promise<void> {
    while (this.running) await this.running.catch(() => undefined);
  }

  private start(): Promise<void> {
    this.runs++;
    const run = (async () => this.action())().finally(() => {
      this.running = undefined;
      const next = this.queued;
      if (next) {
        this.queued = undefined;
        this.start().then(next.resolve, next.reject);
      }
    });
    this.running = run;
    return run;
  }
}

/** Runs tasks one at a time in submission order; a failed task does not stop later ones. */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private pending = 0;

  get size(): number {
    return this.pending;
  }

  run<T>(task: () => Promise<T>): Promise<T> {
    this.pending++;
    const result = this.tail.then(task).finally(() => this.pending--);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
