/**
 * Fault runs by hand, longer than CI's:
 *   node dist/tools/fault/cli.js run --schedule kill-leader [--seed N] [--duration 300] [--acks -1|1] [--rate 150] [--keep]
 *   node dist/tools/fault/cli.js check <run folder>   (re-checks a kept run's history and reads)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { check } from './checker.js';
import { parseHistory, type LogRecord } from './history.js';
import { SCHEDULES, type Schedule } from './nemesis.js';
import { runFault } from './run.js';

const [command, ...rest] = process.argv.slice(2);
const flag = (name: string) => {
  const i = rest.indexOf(`--${name}`);
  return i >= 0 ? rest[i + 1] : undefined;
};
const readRecords = (file: string): LogRecord[] => parseHistory(readFileSync(file, 'utf8')) as unknown as LogRecord[];

if (command === 'run') {
  const schedule = (flag('schedule') ?? 'kill-leader') as Schedule;
  if (!SCHEDULES.includes(schedule)) throw new Error(`--schedule: one of ${SCHEDULES.join(', ')}`);
  const seed = Number(flag('seed') ?? Math.floor(Math.random() * 2 ** 31));
  const result = await runFault({ schedule, seed, durationMs: Number(flag('duration') ?? 60) * 1000, acks: flag('acks') === '1' ? 1 : -1, rate: Number(flag('rate') ?? 150), keep: rest.includes('--keep'), progress: (l) => console.error(l) });
  console.log(JSON.stringify({ valid: result.valid, seed, schedule, counts: result.verdict.counts, stats: result.verdict.stats, diverged: result.diverged, violations: result.verdict.violations, dir: result.valid ? undefined : result.dir }, null, 2));
  process.exit(result.valid ? 0 : 1);
} else if (command === 'check') {
  const dir = rest[0]!;
  const verdict = check({ history: parseHistory(readFileSync(join(dir, 'history.jsonl'), 'utf8')), log: readRecords(join(dir, 'log.jsonl')), committed: readRecords(join(dir, 'committed.jsonl')) });
  console.log(JSON.stringify(verdict, null, 2));
  process.exit(verdict.valid ? 0 : 1);
} else {
  console.error('usage: cli.js run --schedule <name> [--seed N] [--duration s] [--acks -1|1] | cli.js check <run folder>');
  process.exit(2);
}
