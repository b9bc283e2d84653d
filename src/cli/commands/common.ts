/**
 * What every client command shares: the global options, the cluster they resolve to, and the
 * error → message + exit code policy. Exit codes: 0 success, 1 the cluster refused (a Kafka
 * error, named with what to do), 2 usage error, 3 cannot reach the cluster.
 */
import type { Command } from 'commander';
import { Admin, ConnectionError, KafkaError, errorHint, type ItemResult } from '../../client/index.js';
import type { OutputFormat } from '../output.js';
import { checkSettings, clientOptions, resolveCluster, UsageError, type ResolvedCluster } from '../settings.js';

export const EXIT = { OK: 0, KAFKA: 1, USAGE: 2, CONNECTION: 3 } as const;

interface GlobalOpts {
  brokers?: string;
  bootstrapServer?: string;
  profile?: string;
  clientSetting?: string[];
  output: OutputFormat;
}

export type Globals = GlobalOpts & { cluster: ResolvedCluster };

export const collect = (v: string, prev: string[] = []) => [...prev, v];

export const int = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new UsageError(`${name} must be an integer, got "${v}"`);
  return n;
};

export function globals(cmd: Command): Globals {
  const o = cmd.optsWithGlobals() as GlobalOpts;
  const cluster = resolveCluster({ brokers: o.brokers ?? o.bootstrapServer, profile: o.profile, set: o.clientSetting });
  checkSettings(cluster.settings);
  return { ...o, cluster };
}

/** Runs an action with the error → message + exit code policy. */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<number | void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      const code = await fn(...args);
      process.exitCode = code ?? EXIT.OK;
    } catch (e) {
      process.exitCode = reportError(e);
    }
  };
}

export function reportError(e: unknown): number {
  if (e instanceof UsageError) {
    console.error(`samsa: ${e.message}`);
    return EXIT.USAGE;
  }
  if (e instanceof ConnectionError) {
    console.error(`samsa: ${e.message}`);
    if (!/bootstrap/.test(e.message)) console.error('  check --brokers / SAMSA_BROKERS / the profile, and that the broker is running');
    return EXIT.CONNECTION;
  }
  if (e instanceof KafkaError) {
    console.error(`samsa: ${e.message}`);
    return EXIT.KAFKA;
  }
  console.error(`samsa: ${(e as Error)?.message ?? String(e)}`);
  return EXIT.KAFKA;
}

/** Prints per-item failures; returns the exit code. */
export function itemResults(results: ItemResult[], what: string, ok: (name: string) => string, ignore: string[] = []): number {
  let failed = 0;
  for (const r of results) {
    if (!r.error || ignore.includes(r.error)) {
      console.error(ok(r.name) + (r.error ? ` (${r.error})` : ''));
      continue;
    }
    failed++;
    const hint = errorHint(r.errorCode);
    console.error(`samsa: ${what} ${r.name}: ${r.error}${r.errorMessage ? ` (${r.errorMessage})` : ''}${hint ? ` — ${hint}` : ''}`);
  }
  return failed ? EXIT.KAFKA : EXIT.OK;
}

export async function withAdmin<T>(cmd: Command, fn: (admin: Admin, g: Globals) => Promise<T>): Promise<T> {
  const g = globals(cmd);
  const admin = new Admin(clientOptions(g.cluster));
  try {
    return await fn(admin, g);
  } finally {
    await admin.close();
  }
}
