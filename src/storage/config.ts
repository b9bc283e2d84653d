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
  /** cleanup.policy (broker: log.cleanup.policy): delete (retention), compact (log cleaner), or both. */
  cleanupPolicy: string;
  /** delete.retention.ms (broker: log.cleaner.delete.retention.ms): how long tombstones stay after a cleaning reached them. */
  deleteRetentionMs: number;
  /** min.compaction.lag.ms (broker: log.cleaner.min.compaction.lag.ms): records younger than this are not compacted. */
  minCompactionLagMs: number;
  /** max.compaction.lag.ms (broker: log.cleaner.max.compaction.lag.ms): dirty records older than this force a cleaning. */
  maxCompactionLagMs: number;
  /** min.cleanable.dirty.ratio (broker: log.cleaner.min.cleanable.ratio). */
  minCleanableRatio: number;
  /** compression.type (broker: compression.type): producer, or the codec batches are stored with. */
  compressionType: string;
  /** compression.gzip.level / compression.zstd.level: levels of broker-side recompression. */
  gzipLevel: number;
  zstdLevel: number;
  /** segment.jitter.ms (broker: log.roll.jitter.ms / hours): each segment rolls up to this much before segment.ms. */
  segmentJitterMs: number;
}

export function isCompacted(config: LogConfig): boolean {
  return config.cleanupPolicy.split(',').some((p) => p.trim().toLowerCase() === 'compact');
}

export function isDeleteRetention(config: LogConfig): boolean {
  return config.cleanupPolicy.split(',').some((p) => p.trim().toLowerCase() === 'delete');
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
  cleanupPolicy: 'delete',
  deleteRetentionMs: 86_400_000,
  minCompactionLagMs: 0,
  maxCompactionLagMs: LONG_MAX,
  minCleanableRatio: 0.5,
  compressionType: 'producer',
  gzipLevel: -1,
  zstdLevel: 3,
  segmentJitterMs: 0,
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
  'cleanup.policy': ['cleanupPolicy', [['log.cleanup.policy', 1]]],
  'delete.retention.ms': ['deleteRetentionMs', [['log.cleaner.delete.retention.ms', 1]]],
  'min.compaction.lag.ms': ['minCompactionLagMs', [['log.cleaner.min.compaction.lag.ms', 1]]],
  'max.compaction.lag.ms': ['maxCompactionLagMs', [['log.cleaner.max.compaction.lag.ms', 1]]],
  'min.cleanable.dirty.ratio': ['minCleanableRatio', [['log.cleaner.min.cleanable.ratio', 1]]],
  'compression.type': ['compressionType', [['compression.type', 1]]],
  'compression.gzip.level': ['gzipLevel', [['compression.gzip.level', 1]]],
  'compression.zstd.level': ['zstdLevel', [['compression.zstd.level', 1]]],
  'segment.jitter.ms': ['segmentJitterMs', [['log.roll.jitter.ms', 1], ['log.roll.jitter.hours', 3_600_000]]],
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
  if (field === 'cleanupPolicy' || field === 'compressionType') return String(raw).trim().toLowerCase();
  if (field === 'minCleanableRatio') {
    const r = typeof raw === 'number' ? raw : Number(String(raw).trim());
    if (!Number.isFinite(r) || r < 0 || r > 1) throw new Error(`${key}: expected a number between 0 and 1, got ${String(raw)}`);
    return r;
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
  /** log.cleaner.enable. Default true. */
  cleanerEnable: boolean;
  /** log.cleaner.backoff.ms: pause between cleaner runs when there is nothing to clean. Default 15000. */
  cleanerBackoffMs: number;
  /**
   * log.cleaner.dedupe.buffer.size: memory of the cleaner's offset map (key hash → offset, 16 bytes
   * a key), allocated while a cleaning runs. Default 32 MiB (Kafka: 128 MiB): 1.9 million keys a pass.
   */
  cleanerDedupeBufferSize: number;
  /** log.cleaner.io.buffer.load.factor: fill level of the offset map. Default 0.9. */
  cleanerLoadFactor: number;
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
    cleanerEnable: String(broker['log.cleaner.enable'] ?? 'true') !== 'false',
    cleanerBackoffMs: num('log.cleaner.backoff.ms', 15_000),
    cleanerDedupeBufferSize: Math.max(1024, num('log.cleaner.dedupe.buffer.size', 32 * 1024 * 1024)),
    cleanerLoadFactor: Math.min(1, Math.max(0.1, Number(broker['log.cleaner.io.buffer.load.factor'] ?? 0.9))),
  };
}
