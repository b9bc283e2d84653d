/** `samsa consume <topic>`: print records, by hand-picked start or as a group member (kafka-console-consumer's flags too). */
import { Command, Option } from 'commander';
import { Admin, Consumer, LATEST_TIMESTAMP, type ConsumedRecord } from '../../client/index.js';
import { compileFormat, FORMAT_HELP, parseTime, recordJson } from '../format.js';
import { consoleFormatter } from '../kafka-console.js';
import { clientOptions, consumerOptions, UsageError } from '../settings.js';
import { action, collect, EXIT, globals, int, KAFKA_HELP, topicOf } from './common.js';

interface ConsumeOpts {
  partition?: number;
  from: string;
  group?: string;
  max?: number;
  follow?: boolean;
  format?: string;
  json?: boolean;
  idleTimeout: number;
  topic?: string;
  fromBeginning?: boolean;
  offset?: string;
  maxMessages?: number;
  timeoutMs?: number;
  property?: string[];
  formatterProperty?: string[];
  isolationLevel?: string;
}

/** What to do, once our flags and kafka-console-consumer's are reconciled. */
interface ConsumePlan {
  topic: string;
  start: StartSpec;
  follow: boolean;
  max?: number;
  timeoutMs?: number;
  render: (r: ConsumedRecord) => string;
  /** The `--topic` form: kafka-console-consumer's semantics and its closing line. */
  kafkaForm: boolean;
}

export function registerConsumeCommand(program: Command): void {
  program
    .command('consume')
    .description('consume records and print them')
    .argument('[topic]')
    .option('-p, --partition <n>', 'only this partition', int('--partition'))
    .option('-s, --from <where>', 'start|end|<offset>|-<N from end>|<time: ms, ISO date, or 5m/2h/1d ago>', 'start')
    .option('-g, --group <id>', 'consume as a member of this consumer group (commits offsets; --from applies without a committed offset)')
    .option('-n, --max <n>', 'stop after n records', int('--max'))
    .option('-f, --follow', 'keep waiting for new records (default: stop at the end)')
    .option('--format <fmt>', `output format (kcat-style): ${FORMAT_HELP}`)
    .option('--json', 'one JSON object per line')
    .option('--idle-timeout <ms>', 'with a group and no --follow: stop after this long without records', int('--idle-timeout'), 3000)
    .option('--topic <topic>', '[kafka] the topic; as kafka-console-consumer, this form starts at the end and runs until --max-messages, --timeout-ms or Ctrl-C')
    .option('--from-beginning', '[kafka] = --from start')
    .option('--offset <offset>', '[kafka] with --partition: earliest, latest or an offset')
    .option('--max-messages <n>', '[kafka] = --max', int('--max-messages'))
    .option('--timeout-ms <ms>', '[kafka] stop after this long without records', int('--timeout-ms'))
    .option('--property <key=value>', '[kafka] formatter setting (repeatable): print.key, print.value, print.timestamp, print.partition, print.offset, print.headers, key.separator (default tab), line.separator, headers.separator, null.literal', collect)
    .option('--formatter-property <key=value>', '[kafka] = --property', collect)
    .addOption(new Option('--isolation-level <level>', '[kafka] = -X isolation.level').choices(['read_uncommitted', 'read_committed']))
    .addHelpText('after', KAFKA_HELP('kafka-console-consumer'))
    .action(action(consumeCommand));
}

export function consumePlan(positional: string | undefined, o: ConsumeOpts, fromGiven: boolean): ConsumePlan {
  const topic = topicOf(positional, o.topic, 'consume');
  const kafkaForm = positional === undefined;
  if ([fromGiven, o.fromBeginning, o.offset !== undefined].filter(Boolean).length > 1) throw new UsageError('give one of --from, --from-beginning, --offset');
  if (o.offset !== undefined && o.partition === undefined) throw new UsageError('--offset needs --partition (as in kafka-console-consumer)');
  if (o.max !== undefined && o.maxMessages !== undefined && o.max !== o.maxMessages) throw new UsageError('--max and --max-messages differ');
  let start: StartSpec;
  if (o.fromBeginning) start = { kind: 'earliest' };
  else if (o.offset !== undefined) start = parseOffset(o.offset);
  else start = kafkaForm && !fromGiven ? { kind: 'latest' } : parseFrom(o.from);
  const props = [...(o.property ?? []), ...(o.formatterProperty ?? [])];
  if (props.length && (o.json || o.format !== undefined)) throw new UsageError('--property formats records as kafka-console-consumer does: not with --json or --format');
  let render: (r: ConsumedRecord) => string;
  if (o.json) render = (r) => recordJson(r) + '\n';
  else if (o.format !== undefined) render = compileFormat(o.format);
  else if (props.length || kafkaForm) render = consoleFormatter(props);
  else render = compileFormat('%s\\n');
  return { topic, start, follow: Boolean(o.follow) || kafkaForm, max: o.maxMessages ?? o.max, timeoutMs: o.timeoutMs, render, kafkaForm };
}

function parseOffset(s: string): StartSpec {
  if (s.toLowerCase() === 'earliest') return { kind: 'earliest' };
  if (s.toLowerCase() === 'latest') return { kind: 'latest' };
  if (/^\d+$/.test(s)) return { kind: 'offset', offset: BigInt(s) };
  throw new UsageError(`--offset ${s}: expected earliest, latest, or a non-negative offset`);
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

async function consumeCommand(positional: string | undefined, o: ConsumeOpts, cmd: Command): Promise<number> {
  const plan = consumePlan(positional, o, cmd.getOptionValueSource('from') !== 'default');
  const { topic: topicName, start: spec, render, follow, max } = plan;
  const g = globals(cmd);
  const copts = consumerOptions(g.cluster);
  if (o.isolationLevel) copts.isolationLevel = o.isolationLevel === 'read_committed' ? 1 : 0;
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
    if (!follow) for (const e of await admin.listOffsets(partitions.map((partition) => ({ topic: topicName, partition, timestamp: LATEST_TIMESTAMP })))) ends.set(e.partition, e.offset);

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
        if (!follow && r.offset >= (ends.get(r.partition) ?? -1n) && ends.has(r.partition)) continue;
        out.push(render(r));
        count++;
        if (max !== undefined && count >= max) break;
      }
      if (out.length) {
        process.stdout.write(out.join(''));
        out.length = 0;
      }
      if (records.length) lastRecordAt = Date.now();
      if (max !== undefined && count >= max) break;
      if (plan.timeoutMs !== undefined && Date.now() - lastRecordAt >= plan.timeoutMs) break;
      if (!follow) {
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
  if (plan.kafkaForm) console.error(`Processed a total of ${count} messages`);
  else if (!o.json && !o.format && process.stderr.isTTY) console.error(`consumed ${count} records`);
  return EXIT.OK;
}
