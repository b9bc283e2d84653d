/** `samsa consume <topic>`: print records, by hand-picked start or as a group member. */
import { Command } from 'commander';
import { Admin, Consumer, LATEST_TIMESTAMP, type ConsumedRecord } from '../../client/index.js';
import { compileFormat, FORMAT_HELP, parseTime, recordJson } from '../format.js';
import { clientOptions, consumerOptions, UsageError } from '../settings.js';
import { action, EXIT, globals, int } from './common.js';

export function registerConsumeCommand(program: Command): void {
  program
    .command('consume')
    .description('consume records and print them')
    .argument('<topic>')
    .option('-p, --partition <n>', 'only this partition', int('--partition'))
    .option('-s, --from <where>', 'start|end|<offset>|-<N from end>|<time: ms, ISO date, or 5m/2h/1d ago>', 'start')
    .option('-g, --group <id>', 'consume as a member of this consumer group (commits offsets; --from applies without a committed offset)')
    .option('-n, --max <n>', 'stop after n records', int('--max'))
    .option('-f, --follow', 'keep waiting for new records (default: stop at the end)')
    .option('--format <fmt>', `output format (kcat-style): ${FORMAT_HELP}`)
    .option('--json', 'one JSON object per line')
    .option('--idle-timeout <ms>', 'with a group and no --follow: stop after this long without records', int('--idle-timeout'), 3000)
    .action(action(consumeCommand));
}

type StartSpec = { kind: 'earliest' } | { kind: 'latest' } | { kind: 'offset'; offset: bigint } | { kind: 'fromEnd'; n: bigint } | { kind: 'time'; ms: number };

export function parseFrom(s: string): StartSpec {
  if (['start', 'beginning', 'earliest', 'first'].includes(s)) return { kind: 'earliest' };
  if (['end', 'latest', 'last'].includes(s)) return { kind: 'latest' };
  if (/^\d+$/.test(s) && s.length < 10) return { kind: 'offset', offset: BigInt(s) };
  if (/^-\d+$/.test(s)) return { kind: 'fromEnd', n: BigInt(s.slice(1)) };
  if (/^@\d+$/.test(s)) return { kind: 'time', ms: Number(s.slice(1)) };
  const t = parseTime(s);
  if (t !== null) return { kind: 'time', ms: t };
  throw new UsageError(`--from ${s}: expected start, end, an offset, -N, or a time (ms, ISO date, 5m/2h/1d ago)`);
}

async function consumeCommand(
  topicName: string,
  o: { partition?: number; from: string; group?: string; max?: number; follow?: boolean; format?: string; json?: boolean; idleTimeout: number },
  cmd: Command,
): Promise<number> {
  const g = globals(cmd);
  const spec = parseFrom(o.from);
  const render = o.json ? (r: ConsumedRecord) => recordJson(r) + '\n' : compileFormat(o.format ?? '%s\\n');
  const copts = consumerOptions(g.cluster);
  const consumer = new Consumer(clientOptions(g.cluster), { ...copts, groupId: o.group, autoOffsetReset: spec.kind === 'latest' ? 'latest' : 'earliest', maxWaitMs: 200 });
  const admin = new Admin(consumer.cluster);
  let stopping = false;
  const onSignal = () => {
    stopping = true;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let count = 0;
  try {
    const meta = await consumer.cluster.topic(topicName);
    const partitions = o.partition !== undefined ? [o.partition] : meta.partitions.map((p) => p.partition);
    if (o.partition !== undefined && !meta.partitions.some((p) => p.partition === o.partition)) throw new UsageError(`topic ${topicName} has no partition ${o.partition} (it has ${meta.partitions.length})`);
    const ends = new Map<number, bigint>();
    if (!o.follow) for (const e of await admin.listOffsets(partitions.map((partition) => ({ topic: topicName, partition, timestamp: LATEST_TIMESTAMP })))) ends.set(e.partition, e.offset);

    if (o.group) {
      if (o.partition !== undefined) throw new UsageError('--partition and --group do not go together: a group assigns partitions');
      consumer.subscribe([topicName]);
    } else {
      const starts = new Map<number, bigint>();
      if (spec.kind === 'offset') for (const p of partitions) starts.set(p, spec.offset);
      else if (spec.kind === 'time') for (const e of await admin.listOffsets(partitions.map((partition) => ({ topic: topicName, partition, timestamp: BigInt(spec.ms) })))) starts.set(e.partition, e.offset);
      else if (spec.kind === 'fromEnd') {
        const offs = await admin.topicOffsets([topicName]);
        for (const x of offs) if (partitions.includes(x.partition)) starts.set(x.partition, x.end - spec.n > x.start ? x.end - spec.n : x.start);
      }
      consumer.assign(partitions.map((partition) => ({ topic: topicName, partition, offset: starts.get(partition) ?? (spec.kind === 'latest' ? ('latest' as const) : ('earliest' as const)) })));
    }

    const done = (p: number) => {
      const end = ends.get(p);
      const pos = consumer.position(topicName, p);
      return end !== undefined && pos !== null && pos >= end;
    };
    let lastRecordAt = Date.now();
    const out: string[] = [];
    while (!stopping) {
      const records = await consumer.poll(200);
      for (const r of records) {
        if (!o.follow && r.offset >= (ends.get(r.partition) ?? -1n) && ends.has(r.partition)) continue;
        out.push(render(r));
        count++;
        if (o.max !== undefined && count >= o.max) break;
      }
      if (out.length) {
        process.stdout.write(out.join(''));
        out.length = 0;
      }
      if (records.length) lastRecordAt = Date.now();
      if (o.max !== undefined && count >= o.max) break;
      if (!o.follow) {
        if (o.group) {
          const assigned = consumer.assignment();
          if (assigned.length && assigned.every((a) => done(a.partition))) break;
          if (Date.now() - lastRecordAt > o.idleTimeout) break;
        } else if (partitions.every(done)) break;
      }
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await consumer.close().catch(() => undefined);
  }
  if (!o.json && !o.format && process.stderr.isTTY) console.error(`consumed ${count} records`);
  return EXIT.OK;
}
