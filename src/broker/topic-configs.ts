/**
 * Kafka's topic-level configs, each with the broker config that supplies its default (its
 * "synonym" in DescribeConfigs) and a check of the value. Values are kept as strings, as Kafka's
 * AlterConfigs carries them.
 */
import type { BrokerConfig } from './config.js';
import { throttledReplicasValidator } from './replica/replication-quota.js';

export type TopicConfigType = 'int' | 'long' | 'boolean' | 'string' | 'list' | 'double' | 'class';

export interface TopicConfigDef {
  type: TopicConfigType;
  /** Broker keys that supply the default, in precedence order, with a unit multiplier. */
  synonyms: [key: string, multiplier: number][];
  /** Default when no synonym is set. */
  default: string;
  validate?: (value: string) => string | undefined;
  sensitive?: boolean;
}

const INT = /^-?\d+$/;
const num = (min: number, max = Number.MAX_SAFE_INTEGER) => (v: string) => {
  if (!INT.test(v.trim())) return 'must be an integer';
  const n = Number(v);
  return n < min || n > max ? `must be between ${min} and ${max}` : undefined;
};
const ratio = (v: string) => {
  const n = Number(v);
  return v.trim() === '' || !(n >= 0 && n <= 1) ? 'must be a number between 0 and 1' : undefined;
};
const bool = (v: string) => (/^(true|false)$/i.test(v.trim()) ? undefined : 'must be true or false');
const oneOf =
  (...allowed: string[]) =>
  (v: string) => {
    const items = v.split(',').map((s) => s.trim().toLowerCase());
    return items.length === 0 || items.some((i) => !allowed.map((a) => a.toLowerCase()).includes(i)) ? `must be one of ${allowed.join(', ')}` : undefined;
  };
const LONG_MAX = '9223372036854775807';

export const TOPIC_CONFIGS: Record<string, TopicConfigDef> = {
  // Kafka 4.1 accepts an empty list (neither deletion nor compaction: records are kept) with a deprecation warning (KIP-1161).
  'cleanup.policy': { type: 'list', synonyms: [['log.cleanup.policy', 1]], default: 'delete', validate: (v) => (v.trim() === '' ? undefined : oneOf('delete', 'compact')(v)) },
  'compression.type': { type: 'string', synonyms: [['compression.type', 1]], default: 'producer', validate: oneOf('producer', 'uncompressed', 'gzip', 'snappy', 'lz4', 'zstd') },
  'compression.gzip.level': { type: 'int', synonyms: [['compression.gzip.level', 1]], default: '-1', validate: num(-1, 9) },
  'compression.lz4.level': { type: 'int', synonyms: [['compression.lz4.level', 1]], default: '9', validate: num(1, 17) },
  'compression.zstd.level': { type: 'int', synonyms: [['compression.zstd.level', 1]], default: '3', validate: num(-131072, 22) },
  'delete.retention.ms': { type: 'long', synonyms: [['log.cleaner.delete.retention.ms', 1]], default: '86400000', validate: num(0) },
  'file.delete.delay.ms': { type: 'long', synonyms: [['log.segment.delete.delay.ms', 1]], default: '60000', validate: num(0) },
  'flush.messages': { type: 'long', synonyms: [['log.flush.interval.messages', 1]], default: LONG_MAX, validate: num(1, Infinity) },
  'flush.ms': { type: 'long', synonyms: [['log.flush.interval.ms', 1]], default: LONG_MAX, validate: num(0, Infinity) },
  // KIP-73 replication throttles: `partition:broker,...` or `*` (replica/replication-quota.ts).
  'follower.replication.throttled.replicas': { type: 'list', synonyms: [], default: '', validate: throttledReplicasValidator('follower.replication.throttled.replicas') },
  'index.interval.bytes': { type: 'int', synonyms: [['log.index.interval.bytes', 1]], default: '4096', validate: num(0) },
  'leader.replication.throttled.replicas': { type: 'list', synonyms: [], default: '', validate: throttledReplicasValidator('leader.replication.throttled.replicas') },
  'local.retention.bytes': { type: 'long', synonyms: [['log.local.retention.bytes', 1]], default: '-2', validate: num(-2) },
  'local.retention.ms': { type: 'long', synonyms: [['log.local.retention.ms', 1]], default: '-2', validate: num(-2) },
  'max.compaction.lag.ms': { type: 'long', synonyms: [['log.cleaner.max.compaction.lag.ms', 1]], default: LONG_MAX, validate: num(1, Infinity) },
  'max.message.bytes': { type: 'int', synonyms: [['message.max.bytes', 1]], default: '1048588', validate: num(0) },
  'message.downconversion.enable': { type: 'boolean', synonyms: [], default: 'true', validate: bool },
  'message.format.version': { type: 'string', synonyms: [], default: '3.0-IV1' },
  'message.timestamp.after.max.ms': { type: 'long', synonyms: [['log.message.timestamp.after.max.ms', 1]], default: LONG_MAX, validate: num(0, Infinity) },
  'message.timestamp.before.max.ms': { type: 'long', synonyms: [['log.message.timestamp.before.max.ms', 1]], default: LONG_MAX, validate: num(0, Infinity) },
  'message.timestamp.difference.max.ms': { type: 'long', synonyms: [], default: LONG_MAX, validate: num(0, Infinity) },
  'message.timestamp.type': { type: 'string', synonyms: [['log.message.timestamp.type', 1]], default: 'CreateTime', validate: oneOf('CreateTime', 'LogAppendTime') },
  'min.cleanable.dirty.ratio': { type: 'double', synonyms: [['log.cleaner.min.cleanable.ratio', 1]], default: '0.5', validate: ratio },
  'min.compaction.lag.ms': { type: 'long', synonyms: [['log.cleaner.min.compaction.lag.ms', 1]], default: '0', validate: num(0, Infinity) },
  'min.insync.replicas': { type: 'int', synonyms: [['min.insync.replicas', 1]], default: '1', validate: num(1) },
  'preallocate': { type: 'boolean', synonyms: [['log.preallocate', 1]], default: 'false', validate: bool },
  'remote.storage.enable': { type: 'boolean', synonyms: [], default: 'false', validate: bool },
  // Tiered storage (KIP-950), which Samsa does not have: accepted and described, without effect.
  'remote.log.copy.disable': { type: 'boolean', synonyms: [], default: 'false', validate: bool },
  'remote.log.delete.on.disable': { type: 'boolean', synonyms: [], default: 'false', validate: bool },
  'retention.bytes': { type: 'long', synonyms: [['log.retention.bytes', 1]], default: '-1', validate: num(-1, Infinity) },
  'retention.ms': { type: 'long', synonyms: [['log.retention.ms', 1], ['log.retention.minutes', 60_000], ['log.retention.hours', 3_600_000]], default: '604800000', validate: num(-1, Infinity) },
  'segment.bytes': { type: 'int', synonyms: [['log.segment.bytes', 1]], default: '1073741824', validate: num(14) },
  'segment.index.bytes': { type: 'int', synonyms: [['log.index.size.max.bytes', 1]], default: '10485760', validate: num(4) },
  'segment.jitter.ms': { type: 'long', synonyms: [['log.roll.jitter.ms', 1], ['log.roll.jitter.hours', 3_600_000]], default: '0', validate: num(0, Infinity) },
  'segment.ms': { type: 'long', synonyms: [['log.roll.ms', 1], ['log.roll.hours', 3_600_000]], default: '604800000', validate: num(1, Infinity) },
  'unclean.leader.election.enable': { type: 'boolean', synonyms: [['unclean.leader.election.enable', 1]], default: 'false', validate: bool },
  'samsa.flush.durable': { type: 'boolean', synonyms: [['samsa.log.flush.durable', 1]], default: 'true', validate: bool },
};

/** Checks one topic config; returns Kafka's INVALID_CONFIG message, or undefined. */
export function invalidTopicConfig(key: string, value: string | null): string | undefined {
  const def = TOPIC_CONFIGS[key];
  if (!def) return `Unknown topic config name: ${key}`;
  if (value === null) return `Null value not supported for topic configs: ${key}`;
  const problem = def.validate?.(value);
  return problem ? `Invalid value ${value} for configuration ${key}: ${problem}` : undefined;
}

export type ConfigSource = 'TOPIC' | 'DYNAMIC_BROKER' | 'DYNAMIC_DEFAULT_BROKER' | 'STATIC_BROKER' | 'DEFAULT';

export interface EffectiveConfig {
  name: string;
  value: string;
  source: ConfigSource;
  /** When a broker key supplies the value, which one. */
  synonym?: string;
}

/** A broker config's value as Kafka prints it (Long.MAX_VALUE for "never"). */
function brokerValueText(broker: BrokerConfig, key: string, multiplier: number): string | undefined {
  if (!broker.explicit.has(key) && !broker.isDynamic(key)) return undefined;
  const v = broker.get(key);
  if (v === null) return undefined;
  if (Array.isArray(v)) return v.join(',');
  if (typeof v === 'number') {
    if (v >= Number.MAX_SAFE_INTEGER) return LONG_MAX;
    return String(v * multiplier);
  }
  return String(v);
}

/** The value a topic has for `key`: its own override, else the broker's, else Kafka's default. */
export function effectiveTopicConfig(broker: BrokerConfig, overrides: Record<string, string>, key: string): EffectiveConfig {
  const def = TOPIC_CONFIGS[key]!;
  const own = overrides[key];
  if (own !== undefined) return { name: key, value: own, source: 'TOPIC' };
  for (const [synonym, multiplier] of def.synonyms) {
    const v = brokerValueText(broker, synonym, multiplier);
    if (v !== undefined) {
      const source = broker.dynamic.has(synonym) ? 'DYNAMIC_BROKER' : broker.dynamicDefault.has(synonym) ? 'DYNAMIC_DEFAULT_BROKER' : 'STATIC_BROKER';
      return { name: key, value: v, source, synonym };
    }
  }
  return { name: key, value: def.default, source: 'DEFAULT' };
}

/** Every topic config with its effective value. */
export function allTopicConfigs(broker: BrokerConfig, overrides: Record<string, string>): EffectiveConfig[] {
  return Object.keys(TOPIC_CONFIGS).map((k) => effectiveTopicConfig(broker, overrides, k));
}

/** The effective values as a flat properties map (what the storage layer is configured with). */
export function topicProperties(broker: BrokerConfig, overrides: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const c of allTopicConfigs(broker, overrides)) out[c.name] = c.value;
  return out;
}
