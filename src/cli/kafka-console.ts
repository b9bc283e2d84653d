/**
 * The `--property key=value` settings of Kafka's console tools, as their users type them:
 * kafka-console-consumer's DefaultMessageFormatter (print.key, key.separator, ...) and
 * kafka-console-producer's LineMessageReader (parse.key, key.separator, parse.headers, ...).
 */
import type { ConsumedRecord } from '../client/index.js';
import { parseKeyValues, UsageError } from './settings.js';

// Deserializers that leave bytes as they are (the console prints them as UTF-8 either way).
const PLAIN_DESERIALIZERS = new Set(['org.apache.kafka.common.serialization.StringDeserializer', 'org.apache.kafka.common.serialization.ByteArrayDeserializer']);

const FORMATTER_KEYS = [
  'print.timestamp', 'print.key', 'print.value', 'print.partition', 'print.offset', 'print.headers', 'print.delivery',
  'key.separator', 'line.separator', 'headers.separator', 'null.literal', 'key.deserializer', 'value.deserializer', 'headers.deserializer',
];

const READER_KEYS = ['parse.key', 'key.separator', 'parse.headers', 'headers.delimiter', 'headers.separator', 'headers.key.separator', 'ignore.error', 'null.marker'];

function properties(list: string[], known: string[], tool: string): Record<string, string> {
  const props = parseKeyValues(list, '--property');
  for (const k of Object.keys(props)) if (!known.includes(k)) throw new UsageError(`unknown --property ${k} for ${tool} (known: ${known.join(', ')})`);
  return props;
}

// As Kafka: a boolean property is true when it reads "true", whatever the case.
const bool = (v: string | undefined, dflt: boolean) => (v === undefined ? dflt : v.trim().toLowerCase() === 'true');

const TIMESTAMP_TYPES = ['CreateTime', 'LogAppendTime'];

/** kafka-console-consumer's output: [timestamp] [Partition:p] [Offset:o] [headers] [key] value, separated by key.separator. */
export function consoleFormatter(list: string[]): (r: ConsumedRecord) => string {
  const p = properties(list, FORMATTER_KEYS, 'the consumer');
  for (const k of ['key.deserializer', 'value.deserializer', 'headers.deserializer']) {
    if (p[k] !== undefined && !PLAIN_DESERIALIZERS.has(p[k])) throw new UsageError(`--property ${k}=${p[k]}: only StringDeserializer and ByteArrayDeserializer are supported`);
  }
  const columns: ((r: ConsumedRecord) => string)[] = [];
  const nullLiteral = p['null.literal'] ?? 'null';
  const text = (b: Buffer | null) => (b === null ? nullLiteral : b.toString('utf8'));
  const headersSeparator = p['headers.separator'] ?? ',';
  if (bool(p['print.timestamp'], false)) columns.push((r) => (TIMESTAMP_TYPES[r.timestampType] ? `${TIMESTAMP_TYPES[r.timestampType]}:${r.timestamp}` : 'NO_TIMESTAMP'));
  if (bool(p['print.partition'], false)) columns.push((r) => `Partition:${r.partition}`);
  if (bool(p['print.offset'], false)) columns.push((r) => `Offset:${r.offset}`);
  // Share groups count deliveries; a classic consumer has none to print.
  if (bool(p['print.delivery'], false)) columns.push(() => 'Delivery:NONE');
  if (bool(p['print.headers'], false)) columns.push((r) => (r.headers.length ? r.headers.map((h) => `${h.key}:${text(h.value)}`).join(headersSeparator) : 'NO_HEADERS'));
  if (bool(p['print.key'], false)) columns.push((r) => text(r.key));
  if (bool(p['print.value'], true)) columns.push((r) => text(r.value));
  const keySeparator = p['key.separator'] ?? '\t';
  const lineSeparator = p['line.separator'] ?? '\n';
  return (r) => columns.map((c) => c(r)).join(keySeparator) + lineSeparator;
}

export interface LineRecord {
  key: string | null;
  value: string | null;
  headers: { key: string; value: Buffer | null }[];
}

export interface LineReader {
  /** The record of one input line (1-based `lineNumber` for errors). */
  read(line: string, lineNumber: number): LineRecord;
}

/** kafka-console-producer's input: [headers<headers.delimiter>][key<key.separator>]value. */
export function consoleLineReader(list: string[]): LineReader {
  const p = properties(list, READER_KEYS, 'the producer');
  const parseKey = bool(p['parse.key'], false);
  const parseHeaders = bool(p['parse.headers'], false);
  const ignoreError = bool(p['ignore.error'], false);
  const keySeparator = p['key.separator'] ?? '\t';
  const headersDelimiter = p['headers.delimiter'] ?? '\t';
  const headersSeparator = p['headers.separator'] ?? ',';
  const headersKeySeparator = p['headers.key.separator'] ?? ':';
  const nullMarker = p['null.marker'];
  const distinct: [string, string, string, string][] = [
    ['headers.delimiter', headersDelimiter, 'headers.separator', headersSeparator],
    ['headers.delimiter', headersDelimiter, 'headers.key.separator', headersKeySeparator],
    ['headers.separator', headersSeparator, 'headers.key.separator', headersKeySeparator],
    ['null.marker', nullMarker ?? '', 'key.separator', keySeparator],
    ['null.marker', nullMarker ?? '', 'headers.separator', headersSeparator],
    ['null.marker', nullMarker ?? '', 'headers.delimiter', headersDelimiter],
    ['null.marker', nullMarker ?? '', 'headers.key.separator', headersKeySeparator],
  ];
  for (const [a, av, b, bv] of distinct) if (av !== '' && av === bv) throw new UsageError(`--property ${a} and ${b} may not be equal`);
  const orNull = (s: string) => (s === nullMarker ? null : s);
  return {
    read(line, lineNumber) {
      // Returns the text before `sep` from `at`, or null (not parsed, or not found with ignore.error).
      const field = (enabled: boolean, at: number, sep: string, what: string): string | null => {
        if (!enabled) return null;
        const i = line.indexOf(sep, at);
        if (i >= 0) return line.slice(at, i);
        if (ignoreError) return null;
        throw new UsageError(`no ${what} found on line number ${lineNumber}: '${line}'`);
      };
      const headerText = field(parseHeaders, 0, headersDelimiter, 'headers delimiter');
      const keyAt = headerText === null ? 0 : headerText.length + headersDelimiter.length;
      const key = field(parseKey, keyAt, keySeparator, 'key separator');
      const value = line.slice(keyAt + (key === null ? 0 : key.length + keySeparator.length));
      const headers = headerText === null || headerText === nullMarker ? [] : headerText.split(headersSeparator).map((pair) => {
        const i = pair.indexOf(headersKeySeparator);
        if (i < 0) {
          if (ignoreError) return { key: pair, value: null };
          throw new UsageError(`no header key separator found in pair '${pair}' on line number ${lineNumber}`);
        }
        const hk = pair.slice(0, i);
        if (hk === nullMarker) throw new UsageError(`header keys should not be equal to the null marker '${nullMarker}' as they can't be null`);
        const hv = orNull(pair.slice(i + headersKeySeparator.length));
        return { key: hk, value: hv === null ? null : Buffer.from(hv) };
      });
      return { key: key === null ? null : orNull(key), value: orNull(value), headers };
    },
  };
}
