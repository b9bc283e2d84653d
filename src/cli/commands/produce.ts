/** `samsa produce <topic>`: one record per line of stdin or a file (kafka-console-producer's flags too). */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { Command, Option } from 'commander';
import { Producer, type ProducerRecord } from '../../client/index.js';
import { consoleLineReader } from '../kafka-console.js';
import { clientOptions, parseKeyValues, producerOptions, UsageError } from '../settings.js';
import { action, collect, EXIT, globals, int, KAFKA_HELP, topicOf } from './common.js';

const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];
const ACKS = ['all', '-1', '0', '1'];

interface ProduceOpts {
  file?: string;
  keySeparator?: string;
  header?: string[];
  partition?: number;
  compression?: string;
  acks?: string;
  tombstone?: boolean;
  json?: boolean;
  lingerMs?: number;
  topic?: string;
  property?: string[];
  readerProperty?: string[];
  compressionCodec?: string;
  requestRequiredAcks?: string;
}

export function registerProduceCommand(program: Command): void {
  program
    .command('produce')
    .description('produce records: one per line from stdin or a file')
    .argument('[topic]')
    .option('-f, --file <path>', 'read lines from a file instead of stdin')
    .option('-k, --key-separator <sep>', 'split each line into key and value at the first <sep>')
    .option('-H, --header <key=value>', 'header on every record (repeatable)', collect)
    .option('-p, --partition <n>', 'partition (default: by key, or sticky)', int('--partition'))
    .addOption(new Option('-z, --compression <codec>', 'compression').choices(CODECS))
    .addOption(new Option('-a, --acks <acks>', 'acknowledgements').choices(ACKS))
    .option('--tombstone', 'an empty value is sent as null (a delete marker for compacted topics)')
    .option('--json', 'each line is a JSON object {key, value, headers, partition, timestamp}')
    .option('--linger-ms <ms>', 'batching delay', int('--linger-ms'))
    .option('--topic <topic>', '[kafka] the topic')
    .option('--property <key=value>', '[kafka] line reader setting (repeatable): parse.key, key.separator (default tab), parse.headers, headers.delimiter, headers.separator, headers.key.separator, null.marker, ignore.error', collect)
    .option('--reader-property <key=value>', '[kafka] = --property', collect)
    .addOption(new Option('--compression-codec [codec]', '[kafka] = --compression (gzip when no codec is given)').choices(CODECS).preset('gzip'))
    .addOption(new Option('--request-required-acks <acks>', '[kafka] = --acks').choices(ACKS))
    .addHelpText('after', KAFKA_HELP('kafka-console-producer'))
    .action(action(produceCommand));
}

async function produceCommand(positional: string | undefined, o: ProduceOpts, cmd: Command): Promise<number> {
  const topicName = topicOf(positional, o.topic, 'produce');
  const props = [...(o.property ?? []), ...(o.readerProperty ?? [])];
  const reader = props.length ? consoleLineReader(props) : null;
  if (reader && (o.json || o.keySeparator !== undefined || o.tombstone)) throw new UsageError('--property reads lines as kafka-console-producer does: not with --json, --key-separator or --tombstone');
  const compression = o.compression ?? o.compressionCodec;
  const acks = o.acks ?? o.requestRequiredAcks;
  const g = globals(cmd);
  const headers = Object.entries(parseKeyValues(o.header, '--header')).map(([key, value]) => ({ key, value: Buffer.from(value) }));
  const popts = { batchSize: 262_144, ...producerOptions(g.cluster) };
  if (compression) popts.compression = compression as 'gzip';
  if (acks) popts.acks = acks === 'all' ? -1 : Number(acks);
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
      let rec: ProducerRecord;
      if (reader) {
        const r = reader.read(line, lineNo);
        rec = { topic: topicName, key: r.key, value: r.value, headers: [...headers, ...r.headers], partition: o.partition };
      } else if (line === '' && !o.tombstone && !o.json) {
        continue;
      } else if (o.json) {
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
