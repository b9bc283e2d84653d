/**
 * Runs `samsa start` as a child process for benchmarks: a fresh temp log dir, the port read
 * from the banner, RSS and CPU read from /proc, stop by PID (SIGTERM, SIGKILL after a timeout).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
/** dist/bench/lib → dist/src/cli/samsa.js (tsc's output) */
export const SAMSA_CLI = resolve(here, '../../src/cli/samsa.js');
/** dist/bench/lib → dist/cli/samsa.js: the package's bin, bundled by npm run build */
export const SAMSA_BIN = resolve(here, '../../cli/samsa.js');

/** Clock ticks per second for /proc/<pid>/stat (USER_HZ; 100 on every common Linux build). */
const CLK_TCK = 100;

export interface BrokerProcessOptions {
  overrides: Record<string, string | number | boolean>;
  /** Extra node flags for the broker (e.g. --cpu-prof). */
  nodeArgs?: string[];
  startTimeoutMs?: number;
  /** A data folder the caller owns (kept by stop, so a broker can restart on it); default: a fresh temp one. */
  logDir?: string;
  /** Appends everything the broker writes on stderr (its log) to this file. */
  stderrFile?: string;
  /** Extra environment variables for the broker process. */
  env?: Record<string, string>;
  /** The entry to run (default SAMSA_CLI). */
  cli?: string;
}

export interface MemoryStatus {
  rssBytes: number;
  hwmBytes: number;
}

export class BrokerProcess {
  private stderrTail: string[] = [];
  private exited: Promise<number | null>;
  private exitCode: number | null | undefined;

  private constructor(
    readonly child: ChildProcess,
    readonly logDir: string,
    private readonly ownsDir: boolean,
    readonly host: string,
    readonly port: number,
    readonly banner: string,
    stderrTail: string[],
    exited: Promise<number | null>,
  ) {
    this.stderrTail = stderrTail;
    this.exited = exited;
    void exited.then((c) => (this.exitCode = c));
  }

  get pid(): number {
    return this.child.pid!;
  }

  static async start(opts: BrokerProcessOptions): Promise<BrokerProcess> {
    const ownsDir = opts.logDir === undefined;
    const logDir = opts.logDir ?? mkdtempSync(join(tmpdir(), 'samsa-bench-'));
    const overrides: Record<string, string | number | boolean> = {
      listeners: 'PLAINTEXT://127.0.0.1:0',
      'log.dirs': logDir,
      ...opts.overrides,
    };
    const args = [...(opts.nodeArgs ?? []), opts.cli ?? SAMSA_CLI, 'start'];
    for (const [k, v] of Object.entries(overrides)) args.push('--override', `${k}=${String(v)}`);
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } });
    const stderrTail: string[] = [];
    child.stderr!.setEncoding('utf8');
    if (opts.stderrFile) child.stderr!.on('data', (s: string) => appendFileSync(opts.stderrFile!, s));
    child.stderr!.on('data', (s: string) => {
      for (const line of s.split('\n')) if (line.trim() !== '') stderrTail.push(line);
      if (stderrTail.length > 50) stderrTail.splice(0, stderrTail.length - 50);
    });
    const exited = new Promise<number | null>((res) => child.once('exit', (code, signal) => res(code ?? (signal ? -1 : null))));
    let stdout = '';
    child.stdout!.setEncoding('utf8');
    const banner = await new Promise<string>((res, rej) => {
      const timer = setTimeout(() => rej(new Error(`broker did not print its banner within ${opts.startTimeoutMs ?? 15000} ms; stderr: ${stderrTail.join('\n')}`)), opts.startTimeoutMs ?? 15000);
      const onData = (s: string) => {
        stdout += s;
        const line = stdout.split('\n').find((l) => l.includes('listening on'));
        if (line) {
          clearTimeout(timer);
          child.stdout!.off('data', onData);
          child.stdout!.resume();
          res(line);
        }
      };
      child.stdout!.on('data', onData);
      void exited.then((code) => {
        clearTimeout(timer);
        rej(new Error(`broker exited (${code}) before listening; stderr: ${stderrTail.join('\n')}`));
      });
    }).catch((e) => {
      if (child.exitCode === null) child.kill('SIGKILL');
      if (ownsDir) rmSync(logDir, { recursive: true, force: true });
      throw e;
    });
    const m = /listening on PLAINTEXT:\/\/([^:,\s]+):(\d+)/.exec(banner);
    if (!m) {
      child.kill('SIGKILL');
      if (ownsDir) rmSync(logDir, { recursive: true, force: true });
      throw new Error(`cannot read the port from the banner: ${banner}`);
    }
    return new BrokerProcess(child, logDir, ownsDir, m[1] === '0.0.0.0' ? '127.0.0.1' : m[1]!, Number(m[2]), banner, stderrTail, exited);
  }

  get alive(): boolean {
    return this.exitCode === undefined;
  }

  /** VmRSS and VmHWM (peak RSS since start) from /proc/<pid>/status. */
  memory(): MemoryStatus {
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
    return { rssBytes: kb('VmRSS'), hwmBytes: kb('VmHWM') };
  }

  /** User + system CPU time of the broker so far, in ms (all its threads). */
  cpuMs(): number {
    const stat = readFileSync(`/proc/${this.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state): utime is field 14, stime field 15.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
  }

  stderr(): string[] {
    return [...this.stderrTail];
  }

  /** Sends `signal` now (SIGKILL: a crash; SIGSTOP/SIGCONT: a pause). */
  signal(signal: NodeJS.Signals): void {
    if (this.alive) this.child.kill(signal);
  }

  /** Resolves with the exit code once the process ended. */
  whenExited(): Promise<number | null> {
    return this.exited;
  }

  /** SIGTERM, SIGKILL after `graceMs`; then removes the log dir unless the caller owns it. Returns the exit code. */
  async stop(graceMs = 10_000): Promise<number | null> {
    if (this.alive) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => {
        if (this.alive) this.child.kill('SIGKILL');
      }, graceMs);
      await this.exited;
      clearTimeout(timer);
    }
    if (this.ownsDir) rmSync(this.logDir, { recursive: true, force: true });
    return this.exitCode ?? null;
  }
}
