/** `samsa produce <topic>`: one record per line of stdin or a file. */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { Command, Option } from 'commander';
import { Producer, type ProducerRecord } from '../../client/index.js';
import { clientOptions, parseKeyValues, producerOptions, UsageError } from '../settings.js';
import { action, collect, EXIT, globals, int } from './common.js';

export function registerProduceCommand(program: Command): void {
  program
    .command('produce')
    .description('produce records: one per line from stdin or a file')
    .argument('<topic>')
    .option('-f, --file <path>', 'read lines from a file instead of stdin')
    .option('-k, --key-separator <sep>', 'split each line into key and value at the first <sep>')
    .option('-H, --header <key=value>', 'header on every record (repeatable)', collect)
    .option('-p, --partition <n>', 'partition (default: by key, or sticky)', int('--partition'))
    .addOption(new Option('-z, --compression <codec>', 'compression').choices(['none', 'gzip', 'snappy', 'lz4', 'zstd']))
    .addOption(new Option('-a, --acks <acks>', 'acknowledgements').choices(['all', '-1', '0', '1']))
    .option('--tombstone', 'an empty value is sent as null (a delete marker for compacted topics)')
    .option('--json', 'each line is a JSON object {key, value, headers, partition, timestamp}')
    .option('--linger-ms <ms>', 'batching delay', int('--linger-ms'))
    .action(action(produceCommand));
}

async function produceCommand(
  topicName: string,
  o: { file?: string; keySeparator?: string; header?: string[]; partition?: number; compression?: string; acks?: string; tombstone?: boolean; json?: boolean; lingerMs?: number },
  cmd: Command,
): Promise<number> {
  const g = globals(cmd);
  const headers = Object.entries(parseKeyValues(o.header, '--header')).map(([key, value]) => ({ key, value: Buffer.from(value) }));
  const popts = { batchSize: 262_144, ...producerOptions(g.cluster) };
  if (o.compression) popts.compression = o.compression as 'gzip';
  if (o.acks) popts.acks = o.acks === 'all' ? -1 : Number(o.acks);
  if (o.lingerMs !== undefined) popts.lingerMs = o.lingerMs;
  const producer = new Producer(clientOptions(g.cluster), popts);
  let sent = 0;
  let failed = 0;
  let firstError: unknown = null;
  let outstanding = 0;
  let lineNo = 0;
  let waitForRoom: (() => void) | null = null;
  const done = {
    resolve: () => {
      sent++;
      outstanding--;
      waitForRoom?.();
    },
    reject: (e: Error) => {
      failed++;
      firstError ??= e;
      outstanding--;
      waitForRoom?.();
    },
  };
  try {
    // Fail fast on an unknown topic / unreachable cluster before reading input.
    await producer.cluster.topic(topicName, { autoCreate: popts.allowAutoTopicCreation ?? true });
    // The reader starts after that wait: readline drops lines read before iteration begins.
    const input = o.file ? createReadStream(o.file) : process.stdin;
    const rl = createInterface({ input, crlfDelay: Infinity });
    for await (const line of rl) {
      lineNo++;
      if (line === '' && !o.tombstone && !o.json) continue;
      let rec: ProducerRecord;
      if (o.json) {
        if (!line.trim()) continue;
        let j: { key?: unknown; value?: unknown; headers?: Record<string, string>; partition?: number; timestamp?: number };
        try {
          j = JSON.parse(line);
        } catch (e) {
          throw new UsageError(`line ${lineNo}: not JSON: ${(e as Error).message}`);
        }
        const str = (v: unknown) => (v === null || v === undefined ? null : typeof v === 'string' ? v : JSON.stringify(v));
        rec = {
          topic: topicName,
          key: str(j.key),
          value: str(j.value),
          headers: [...headers, ...Object.entries(j.headers ?? {}).map(([key, value]) => ({ key, value: value === null ? null : Buffer.from(String(value)) }))],
          partition: j.partition ?? o.partition,
          timestamp: j.timestamp,
        };
      } else {
        let key: string | null = null;
        let value: string | null = line;
        if (o.keySeparator) {
          const i = line.indexOf(o.keySeparator);
          if (i >= 0) {
            key = line.slice(0, i);
            value = line.slice(i + o.keySeparator.length);
          }
        }
        if (o.tombstone && value === '') value = null;
        rec = { topic: topicName, key, value, headers, partition: o.partition };
      }
      outstanding++;
      producer.enqueue(rec, done);
      if (outstanding >= 20_000) await new Promise<void>((r) => (waitForRoom = () => outstanding < 10_000 && (waitForRoom = null, r())));
    }
    await producer.flush();
  } finally {
    await producer.close().catch(() => undefined);
  }
  console.error(`produced ${sent} record${sent === 1 ? '' : 's'} to ${topicName}${failed ? `, ${failed} failed` : ''}`);
  if (firstError) throw firstError;
  return EXIT.OK;
}
