/**
 * Per-partition log configuration, with Kafka's topic-level names and the broker-level names
 * that provide their defaults. Values are plain numbers: Kafka's Long.MAX_VALUE ("never") is
 * represented by Number.MAX_SAFE_INTEGER.
 */
export const LONG_MAX = Number.MAX_SAFE_INTEGER;

export interface LogConfig {
  /** segment.bytes (broker: log.segment.bytes): roll when the active segment would exceed it. */
  segmentBytes: number;
  /** segment.ms (broker: log.roll.ms / log.roll.hours): roll a non-empty segment this old. */
  segmentMs: number;
  /** segment.index.bytes (broker: log.index.size.max.bytes): roll when the offset or time index is full. */
  segmentIndexBytes: number;
  /** index.interval.bytes (broker: log.index.interval.bytes): log bytes between index entries. */
  indexIntervalBytes: number;
  /** flush.messages (broker: log.flush.interval.messages): fdatasync after this many messages; the append that crosses it waits. */
  flushMessages: number;
  /** flush.ms (broker: log.flush.interval.ms): flush (data, indexes, recovery point) this long after the first unflushed append. */
  flushMs: number;
  /**
   * samsa.flush.durable (broker: samsa.log.flush.durable), default true: an append resolves only
   * once its bytes are fdatasync'ed; concurrent appends share one sync (group commit).
   * false = Kafka's behaviour: acknowledged from the page cache, flushed by flush.messages/flush.ms/the OS.
   */
  durable: boolean;
  /** file.delete.delay.ms (broker: log.segment.delete.delay.ms): a deleted segment stays as `.deleted` this long. */
  fileDeleteDelayMs: number;
  /** retention.ms (broker: log.retention.ms/minutes/hours); -1 = keep forever. */
  retentionMs: number;
  /** retention.bytes (broker: log.retention.bytes); -1 = no size limit. */
  retentionBytes: number;
  /** max.message.bytes (broker: message.max.bytes): largest batch accepted. */
  maxMessageBytes: number;
  /** message.timestamp.type (broker: log.message.timestamp.type). */
  messageTimestampType: 'CreateTime' | 'LogAppendTime';
}

export const DEFAULT_LOG_CONFIG: Readonly<LogConfig> = Object.freeze({
  segmentBytes: 1024 * 1024 * 1024,
  segmentMs: 7 * 24 * 60 * 60 * 1000,
  segmentIndexBytes: 10 * 1024 * 1024,
  indexIntervalBytes: 4096,
  flushMessages: LONG_MAX,
  flushMs: LONG_MAX,
  durable: true,
  fileDeleteDelayMs: 60_000,
  retentionMs: 7 * 24 * 60 * 60 * 1000,
  retentionBytes: -1,
  maxMessageBytes: 1024 * 1024 + 12,
  messageTimestampType: 'CreateTime',
});

type Key = keyof LogConfig;
/** topic key → [field, broker keys in precedence order (with a unit multiplier)] */
const KEYS: Record<string, [Key, [string, number][]]> = {
  'segment.bytes': ['segmentBytes', [['log.segment.bytes', 1]]],
  'segment.ms': ['segmentMs', [['log.roll.ms', 1], ['log.roll.hours', 3_600_000]]],
  'segment.index.bytes': ['segmentIndexBytes', [['log.index.size.max.bytes', 1]]],
  'index.interval.bytes': ['indexIntervalBytes', [['log.index.interval.bytes', 1]]],
  'flush.messages': ['flushMessages', [['log.flush.interval.messages', 1]]],
  'flush.ms': ['flushMs', [['log.flush.interval.ms', 1], ['log.flush.scheduler.interval.ms', 1]]],
  'samsa.flush.durable': ['durable', [['samsa.log.flush.durable', 1]]],
  'file.delete.delay.ms': ['fileDeleteDelayMs', [['log.segment.delete.delay.ms', 1]]],
  'retention.ms': ['retentionMs', [['log.retention.ms', 1], ['log.retention.minutes', 60_000], ['log.retention.hours', 3_600_000]]],
  'retention.bytes': ['retentionBytes', [['log.retention.bytes', 1]]],
  'max.message.bytes': ['maxMessageBytes', [['message.max.bytes', 1]]],
  'message.timestamp.type': ['messageTimestampType', [['log.message.timestamp.type', 1]]],
};

/** Topic-level keys understood by the storage layer. */
export const LOG_CONFIG_KEYS = Object.keys(KEYS);

export type Properties = Readonly<Record<string, string | number | boolean | undefined>>;

function parseValue(field: Key, key: string, raw: string | number | boolean, unit: number): LogConfig[Key] {
  if (field === 'durable') {
    if (raw === true || raw === 'true') return true;
    if (raw === false || raw === 'false') return false;
    throw new Error(`${key}: expected true or false, got ${String(raw)}`);
  }
  if (field === 'messageTimestampType') {
    if (raw === 'CreateTime' || raw === 'LogAppendTime') return raw;
    throw new Error(`${key}: expected CreateTime or LogAppendTime, got ${String(raw)}`);
  }
  const n = typeof raw === 'number' ? raw : Number(String(raw).trim());
  if (!Number.isFinite(n) || !Number.isInteger(n)) throw new Error(`${key}: expected an integer, got ${String(raw)}`);
  return Math.min(n * unit, LONG_MAX);
}

/**
 * Effective config of one partition: topic overrides, else broker properties, else Kafka's defaults
 * (and Samsa's durable default).
 */
export function logConfigFrom(broker: Properties = {}, topic: Properties = {}): LogConfig {
  const config: LogConfig = { ...DEFAULT_LOG_CONFIG };
  for (const [topicKey, [field, brokerKeys]] of Object.entries(KEYS)) {
    let value: LogConfig[Key] | undefined;
    const t = topic[topicKey];
    if (t !== undefined) value = parseValue(field, topicKey, t, 1);
    else {
      for (const [brokerKey, unit] of brokerKeys) {
        const b = broker[brokerKey];
        if (b !== undefined) {
          value = parseValue(field, brokerKey, b, unit);
          break;
        }
      }
    }
    if (value !== undefined) (config as unknown as Record<string, unknown>)[field] = value;
  }
  if (config.segmentBytes < 14) throw new Error('segment.bytes must be at least 14');
  if (config.segmentIndexBytes < 12) throw new Error('segment.index.bytes must be at least 12');
  if (config.segmentBytes > 0x7fffffff) throw new Error('segment.bytes must fit an int32');
  return config;
}

/** Broker-wide settings of the LogManager. */
export interface LogManagerConfig {
  /** log.dirs (or log.dir). */
  logDirs: string[];
  /** log.flush.offset.checkpoint.interval.ms: how often recovery points are checkpointed. Default 60000. */
  recoveryPointCheckpointIntervalMs: number;
  /** log.flush.start.offset.checkpoint.interval.ms. Default 60000. */
  logStartOffsetCheckpointIntervalMs: number;
  /** replica.high.watermark.checkpoint.interval.ms. Default 5000. */
  highWatermarkCheckpointIntervalMs: number;
  /** log.retention.check.interval.ms. Default 300000. */
  retentionCheckIntervalMs: number;
  /** samsa.log.max.open.files: bound of the segment file-descriptor cache across all partitions. Default 1000. */
  maxOpenFiles: number;
  /** samsa.log.index.cache.bytes: memory for indexes of inactive segments (active ones always stay). Default 64 MiB. */
  indexCacheBytes: number;
  /** samsa.log.load.concurrency: partitions loaded/recovered at once at start-up. Default 32. */
  loadConcurrency: number;
}

export function logManagerConfigFrom(broker: Properties): LogManagerConfig {
  const num = (key: string, dflt: number): number => {
    const v = broker[key];
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`${key}: expected a non-negative integer, got ${String(v)}`);
    return n;
  };
  const dirs = String(broker['log.dirs'] ?? broker['log.dir'] ?? '/tmp/kafka-logs')
    .split(',')
    .map((d) => d.trim())
    .filter((d) => d.length > 0);
  return {
    logDirs: dirs,
    recoveryPointCheckpointIntervalMs: num('log.flush.offset.checkpoint.interval.ms', 60_000),
    logStartOffsetCheckpointIntervalMs: num('log.flush.start.offset.checkpoint.interval.ms', 60_000),
    highWatermarkCheckpointIntervalMs: num('replica.high.watermark.checkpoint.interval.ms', 5_000),
    retentionCheckIntervalMs: num('log.retention.check.interval.ms', 300_000),
    maxOpenFiles: Math.max(2, num('samsa.log.max.open.files', 1000)),
    indexCacheBytes: num('samsa.log.index.cache.bytes', 64 * 1024 * 1024),
    loadConcurrency: Math.max(1, num('samsa.log.load.concurrency', 32)),
  };
}
