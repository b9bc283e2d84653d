/**
 * Reads the log with a client the broker's authors did not write: kcat (librdkafka). `readAll`
 * reads every partition from the start to its end (-e) once; `tailConsumer` follows the topic
 * during the run, each record a poll op in the history.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { LogRecord, PollOp } from './history.js';

export function requireKcat(): void {
  if (spawnSync('kcat', ['-V']).error) throw new Error('kcat is not on PATH: install the Debian package kcat');
}

const FORMAT = '%p\\t%o\\t%s\\n';

function parse(line: string): LogRecord | undefined {
  const [p, o, ...rest] = line.split('\t');
  if (rest.length === 0) return undefined;
  return { partition: Number(p), offset: Number(o), value: rest.join('\t') };
}

/** Every record of `partition` from offset 0 to the end, with `isolation` (read_committed stops at the last stable offset). */
export async function readPartition(bootstrap: string, topic: string, partition: number, isolation: 'read_committed' | 'read_uncommitted'): Promise<LogRecord[]> {
  const child = spawn('kcat', ['-C', '-b', bootstrap, '-t', topic, '-p', String(partition), '-o', 'beginning', '-e', '-q', '-u', '-f', FORMAT, '-X', `isolation.level=${isolation}`, '-X', 'log_level=0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const records: LogRecord[] = [];
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
  const lines = createInterface({ input: child.stdout! });
  lines.on('line', (l) => {
    const r = parse(l);
    if (r) records.push(r);
  });
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  if (code !== 0) throw new Error(`kcat read of ${topic}-${partition} exited ${code}: ${err}`);
  return records;
}

export async function readAll(bootstrap: string, topic: string, partitions: number, isolation: 'read_committed' | 'read_uncommitted'): Promise<LogRecord[]> {
  const all: LogRecord[] = [];
  for (let p = 0; p < partitions; p++) all.push(...(await readPartition(bootstrap, topic, p, isolation)));
  return all;
}

/** A kcat consumer of every partition from the start, until stopped; `onPoll` gets each record. */
export function tailConsumer(bootstrap: string, topic: string, name: string, onPoll: (op: PollOp) => void): { stop(): Promise<void>; child: ChildProcess } {
  const child = spawn('kcat', ['-C', '-b', bootstrap, '-t', topic, '-o', 'beginning', '-q', '-u', '-f', FORMAT, '-X', 'isolation.level=read_uncommitted', '-X', 'log_level=0'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const lines = createInterface({ input: child.stdout! });
  lines.on('line', (l) => {
    const r = parse(l);
    if (r) onPoll({ f: 'poll', p: name, type: 'ok', t: Date.now(), ...r });
  });
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  return {
    child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await closed;
    },
  };
}
