/**
 * Broker configuration with Kafka's own server.properties keys and defaults. Sources, lowest
 * precedence first: defaults, a properties file, environment (KAFKA_* / KAFKA_CFG_* as Kafka's
 * docker images use), then `--override key=value` and the embedding API.
 */
import { readFileSync } from 'node:fs';
import { validateReplicaSelectorClass } from './replica/replica-selector.js';

export type ConfigType = 'int' | 'long' | 'boolean' | 'string' | 'list' | 'double';

export interface ConfigDef {
  type: ConfigType;
  default: string | null;
  /** Extra check on the parsed value; returns an error text. */
  validate?: (value: unknown) => string | undefined;
  /** Accepted for compatibility with Kafka's files but without effect here. */
  ignored?: boolean;
  /**
   * Not in Kafka's KafkaConfig definition (a dynamic-only quota key, DynamicConfig.Broker):
   * DescribeConfigs lists it only when set, with no DEFAULT synonym.
   */
  describedWhenSet?: boolean;
}

const atLeast = (min: number) => (v: unknown) => (typeof v === 'number' && v < min ? `must be at least ${min}` : undefined);
const oneOf = (...allowed: string[]) => (v: unknown) => (typeof v === 'string' && !allowed.includes(v.toLowerCase()) ? `must be one of ${allowed.join(', ')}` : undefined);

/** Keys Kafka defines that this broker understands, with Kafka's defaults. */
export const BROKER_CONFIGS: Record<string, ConfigDef> = {
  'node.id': { type: 'int', default: '1', validate: atLeast(0) },
  'broker.id': { type: 'int', default: null },
  'listeners': { type: 'list', default: 'PLAINTEXT://:9092' },
  'advertised.listeners': { type: 'list', default: null },
  'listener.security.protocol.map': { type: 'list', default: 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT' },
  'inter.broker.listener.name': { type: 'string', default: null, ignored: true },
  'controller.listener.names': { type: 'list', default: null, ignored: true },
  'process.roles': { type: 'list', default: 'broker,controller', ignored: true },
  'controller.quorum.voters': { type: 'list', default: '', ignored: true },
  'controller.quorum.bootstrap.servers': { type: 'list', default: '', ignored: true },
  'cluster.id': { type: 'string', default: null },
  'broker.rack': { type: 'string', default: null },
  'log.dirs': { type: 'list', default: null },
  'log.dir': { type: 'string', default: './data/samsa-logs' },
  'num.partitions': { type: 'int', default: '1', validate: atLeast(1) },
  'default.replication.factor': { type: 'int', default: '1', validate: atLeast(1) },
  'min.insync.replicas': { type: 'int', default: '1', validate: atLeast(1) },
  'auto.create.topics.enable': { type: 'boolean', default: 'true' },
  'delete.topic.enable': { type: 'boolean', default: 'true' },
  // One replica per partition: there is never an out-of-sync replica to elect.
  'unclean.leader.election.enable': { type: 'boolean', default: 'false', ignored: true },
  'message.max.bytes': { type: 'int', default: '1048588', validate: atLeast(0) },
  'socket.request.max.bytes': { type: 'int', default: '104857600', validate: atLeast(1) },
  'socket.send.buffer.bytes': { type: 'int', default: '102400', ignored: true },
  'socket.receive.buffer.bytes': { type: 'int', default: '102400', ignored: true },
  'num.network.threads': { type: 'int', default: '3', ignored: true },
  'num.io.threads': { type: 'int', default: '8', ignored: true },
  'num.recovery.threads.per.data.dir': { type: 'int', default: '2', ignored: true },
  'connections.max.idle.ms': { type: 'long', default: '600000', validate: atLeast(0) },
  'queued.max.requests': { type: 'int', default: '500', validate: atLeast(1) },
  'queued.max.request.bytes': { type: 'long', default: '-1' },
  'log.segment.bytes': { type: 'int', default: '1073741824', validate: atLeast(14) },
  'log.roll.ms': { type: 'long', default: null },
  'log.roll.hours': { type: 'int', default: '168', validate: atLeast(1) },
  'log.roll.jitter.ms': { type: 'long', default: null },
  'log.roll.jitter.hours': { type: 'int', default: '0', validate: atLeast(0) },
  'log.retention.bytes': { type: 'long', default: '-1' },
  'log.retention.ms': { type: 'long', default: null },
  'log.retention.minutes': { type: 'int', default: null },
  'log.retention.hours': { type: 'int', default: '168' },
  'log.retention.check.interval.ms': { type: 'long', default: '300000', validate: atLeast(1) },
  'log.segment.delete.delay.ms': { type: 'long', default: '60000', validate: atLeast(0) },
  'log.index.interval.bytes': { type: 'int', default: '4096', validate: atLeast(0) },
  'log.index.size.max.bytes': { type: 'int', default: '10485760', validate: atLeast(4) },
  'log.flush.interval.messages': { type: 'long', default: '9223372036854775807', validate: atLeast(1) },
  'log.flush.interval.ms': { type: 'long', default: null },
  'log.flush.scheduler.interval.ms': { type: 'long', default: '9223372036854775807' },
  'log.flush.offset.checkpoint.interval.ms': { type: 'int', default: '60000', validate: atLeast(0) },
  'replica.high.watermark.checkpoint.interval.ms': { type: 'long', default: '5000' },
  // The replica manager's ISR expiry and its followers' fetchers (Kafka's defaults).
  // The controller's preferred-leader rebalance (Kafka's defaults; KRaft has no leader.imbalance.per.broker.percentage: every imbalanced partition moves).
  'auto.leader.rebalance.enable': { type: 'boolean', default: 'true' },
  'leader.imbalance.check.interval.seconds': { type: 'long', default: '300', validate: atLeast(1) },
  'replica.lag.time.max.ms': { type: 'long', default: '30000', validate: atLeast(1) },
  'replica.fetch.wait.max.ms': { type: 'int', default: '500', validate: atLeast(0) },
  'replica.fetch.min.bytes': { type: 'int', default: '1', validate: atLeast(1) },
  'replica.fetch.max.bytes': { type: 'int', default: '1048576', validate: atLeast(0) },
  'replica.fetch.response.max.bytes': { type: 'int', default: '10485760', validate: atLeast(0) },
  'replica.selector.class': { type: 'string', default: null, validate: validateReplicaSelectorClass },
  'replica.fetch.backoff.ms': { type: 'int', default: '1000', validate: atLeast(0) },
  'log.cleanup.policy': { type: 'list', default: 'delete' },
  // Kafka's defaults of topic configs Samsa accepts without effect (no tiered storage, no preallocation).
  'log.local.retention.bytes': { type: 'long', default: '-2', validate: atLeast(-2), ignored: true },
  'log.local.retention.ms': { type: 'long', default: '-2', validate: atLeast(-2), ignored: true },
  'log.preallocate': { type: 'boolean', default: 'false', ignored: true },
  'log.cleaner.enable': { type: 'boolean', default: 'true' },
  'log.cleaner.delete.retention.ms': { type: 'long', default: '86400000', validate: atLeast(0) },
  'log.cleaner.min.cleanable.ratio': { type: 'double', default: '0.5' },
  'log.cleaner.min.compaction.lag.ms': { type: 'long', default: '0', validate: atLeast(0) },
  'log.cleaner.max.compaction.lag.ms': { type: 'long', default: '9223372036854775807', validate: atLeast(1) },
  'log.cleaner.backoff.ms': { type: 'long', default: '15000', validate: atLeast(0) },
  // Samsa allocates the offset map only while cleaning; Kafka's default is 128 MiB.
  'log.cleaner.dedupe.buffer.size': { type: 'long', default: '33554432', validate: atLeast(1024) },
  'log.cleaner.io.buffer.load.factor': { type: 'double', default: '0.9' },
  'log.cleaner.threads': { type: 'int', default: '1', validate: atLeast(0), ignored: true },
  'log.cleaner.io.buffer.size': { type: 'int', default: '524288', validate: atLeast(0), ignored: true },
  'log.cleaner.io.max.bytes.per.second': { type: 'double', default: '1.7976931348623157E308', ignored: true },
  'log.message.timestamp.type': { type: 'string', default: 'CreateTime', validate: oneOf('createtime', 'logappendtime') },
  'log.message.timestamp.before.max.ms': { type: 'long', default: '9223372036854775807' },
  'log.message.timestamp.after.max.ms': { type: 'long', default: '9223372036854775807' },
  'compression.type': { type: 'string', default: 'producer', validate: oneOf('producer', 'uncompressed', 'gzip', 'snappy', 'lz4', 'zstd') },
  'compression.gzip.level': { type: 'int', default: '-1' },
  'compression.lz4.level': { type: 'int', default: '9' },
  'compression.zstd.level': { type: 'int', default: '3' },
  'group.initial.rebalance.delay.ms': { type: 'int', default: '3000', validate: atLeast(0) },
  'group.min.session.timeout.ms': { type: 'int', default: '6000' },
  'group.max.session.timeout.ms': { type: 'int', default: '1800000' },
  'group.max.size': { type: 'int', default: '2147483647', validate: atLeast(1) },
  'offsets.topic.num.partitions': { type: 'int', default: '50', validate: atLeast(1) },
  'offsets.topic.replication.factor': { type: 'int', default: '3', validate: atLeast(1) },
  'offsets.retention.minutes': { type: 'int', default: '10080', validate: atLeast(1) },
  'offsets.retention.check.interval.ms': { type: 'long', default: '600000', validate: atLeast(1) },
  'offsets.topic.segment.bytes': { type: 'int', default: '104857600', validate: atLeast(1) },
  'offset.metadata.max.bytes': { type: 'int', default: '4096' },
  'transaction.state.log.num.partitions': { type: 'int', default: '50', validate: atLeast(1) },
  'transaction.state.log.replication.factor': { type: 'int', default: '3', validate: atLeast(1) },
  'transaction.state.log.min.isr': { type: 'int', default: '2' },
  'transaction.max.timeout.ms': { type: 'int', default: '900000', validate: atLeast(1) },
  'transaction.state.log.segment.bytes': { type: 'int', default: '104857600', validate: atLeast(1) },
  'transaction.abort.timed.out.transaction.cleanup.interval.ms': { type: 'int', default: '10000', validate: atLeast(1) },
  'transactional.id.expiration.ms': { type: 'int', default: '604800000', validate: atLeast(1) },
  'producer.id.expiration.ms': { type: 'int', default: '86400000' },
  'fetch.max.bytes': { type: 'int', default: '57671680', validate: atLeast(1024) },
  'max.incremental.fetch.session.cache.slots': { type: 'int', default: '1000', validate: atLeast(0) },
  // Samsa's own: fdatasync before acknowledging (group commit). See README "Durability".
  'samsa.log.flush.durable': { type: 'boolean', default: 'true' },
  'samsa.log.level': { type: 'string', default: 'warn', validate: oneOf('debug', 'info', 'warn', 'error', 'silent') },
  // A cluster: brokers register in etcd (comma-separated URLs); none keeps the single-node local store.
  'samsa.etcd.endpoints': { type: 'list', default: '' },
  // Where this cluster's keys live in etcd, so that several clusters can share one etcd.
  'samsa.etcd.prefix': { type: 'string', default: '/samsa' },
  // Replication throttles (KIP-73, dynamic), bytes/s: Long.MAX_VALUE is no limit (replica/replication-quota.ts).
  'leader.replication.throttled.rate': { type: 'long', default: '9223372036854775807', validate: atLeast(0), describedWhenSet: true },
  'follower.replication.throttled.rate': { type: 'long', default: '9223372036854775807', validate: atLeast(0), describedWhenSet: true },
  // Moving replicas between a broker's log dirs (AlterReplicaLogDirs) is not supported: kept, without effect.
  'replica.alter.log.dirs.io.max.bytes.per.second': { type: 'long', default: '9223372036854775807', validate: atLeast(0), ignored: true, describedWhenSet: true },
  // Kafka's broker liveness: the registration's lease lasts the session timeout, renewed every heartbeat.
  'broker.session.timeout.ms': { type: 'int', default: '9000', validate: atLeast(1000) },
  'broker.heartbeat.interval.ms': { type: 'int', default: '2000', validate: atLeast(100) },
  // Kafka's controlled shutdown (KRaft): on stop, leaderships move to other ISR members before the broker leaves.
  'controlled.shutdown.enable': { type: 'boolean', default: 'true' },
  // Samsa's own: how long a stopping broker waits for the controller to move its leaderships
  // (Kafka bounds the wait only by its whole shutdown's timeout, 5 minutes, with no config).
  'samsa.controlled.shutdown.timeout.ms': { type: 'int', default: '30000', validate: atLeast(0) },
};

/**
 * Broker keys that AlterConfigs/IncrementalAlterConfigs may change at run time (Kafka's
 * DynamicLogConfig and log cleaner reconfigurables): per broker (resource name = node id) or as
 * the cluster default (resource name ""). Log keys apply at once to every topic without its own override;
 * the replication throttle rates at the next replica fetch.
 * As in Kafka, only the primary key of a topic config's synonyms is dynamic (log.retention.ms, not
 * log.retention.minutes/hours; log.roll.ms and log.roll.jitter.ms, not their hours).
 */
export const DYNAMIC_BROKER_CONFIGS: ReadonlySet<string> = new Set([
  'log.segment.bytes',
  'log.roll.ms',
  'log.roll.jitter.ms',
  'log.index.size.max.bytes',
  'log.index.interval.bytes',
  'log.flush.interval.messages',
  'log.flush.interval.ms',
  'log.retention.bytes',
  'log.retention.ms',
  'log.segment.delete.delay.ms',
  'log.cleanup.policy',
  'log.cleaner.delete.retention.ms',
  'log.cleaner.min.compaction.lag.ms',
  'log.cleaner.max.compaction.lag.ms',
  'log.cleaner.min.cleanable.ratio',
  'log.cleaner.backoff.ms',
  'log.cleaner.dedupe.buffer.size',
  'log.cleaner.io.buffer.load.factor',
  'log.cleaner.threads',
  'log.cleaner.io.buffer.size',
  'log.cleaner.io.max.bytes.per.second',
  'log.message.timestamp.type',
  'log.message.timestamp.before.max.ms',
  'log.message.timestamp.after.max.ms',
  'message.max.bytes',
  'compression.type',
  'compression.gzip.level',
  'compression.lz4.level',
  'compression.zstd.level',
  'min.insync.replicas',
  'unclean.leader.election.enable',
  'log.local.retention.bytes',
  'log.local.retention.ms',
  'log.preallocate',
  'leader.replication.throttled.rate',
  'follower.replication.throttled.rate',
  'replica.alter.log.dirs.io.max.bytes.per.second',
]);

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export type ConfigValue = number | bigint | boolean | string | string[] | null;

function parseValue(key: string, def: ConfigDef, raw: string): ConfigValue {
  const text = raw.trim();
  switch (def.type) {
    case 'int': {
      if (!/^-?\d+$/.test(text)) throw new ConfigError(`Invalid value ${JSON.stringify(raw)} for configuration ${key}: not an integer`);
      const n = Number(text);
      if (n < -(2 ** 31) || n > 2 ** 31 - 1) throw new ConfigError(`Invalid value ${raw} for configuration ${key}: out of int range`);
      return n;
    }
    case 'long': {
      if (!/^-?\d+$/.test(text)) throw new ConfigError(`Invalid value ${JSON.stringify(raw)} for configuration ${key}: not a number`);
      const b = BigInt(text);
      if (b > 2n ** 63n - 1n || b < -(2n ** 63n)) throw new ConfigError(`Invalid value ${raw} for configuration ${key}: out of long range`);
      // Longs are kept as numbers (milliseconds and byte counts); Long.MAX_VALUE means "never".
      return b >= BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(b);
    }
    case 'double': {
      const n = Number(text);
      if (text === '' || !Number.isFinite(n)) throw new ConfigError(`Invalid value ${JSON.stringify(raw)} for configuration ${key}: not a number`);
      return n;
    }
    case 'boolean': {
      const t = text.toLowerCase();
      if (t !== 'true' && t !== 'false') throw new ConfigError(`Invalid value ${JSON.stringify(raw)} for configuration ${key}: expected true or false`);
      return t === 'true';
    }
    case 'list':
      return text === '' ? [] : text.split(',').map((s) => s.trim()).filter((s) => s !== '');
    case 'string':
      return text;
  }
}

/** Parses Java properties text: `key=value` or `key: value`, `#`/`!` comments, `\` continuations. */
export function parseProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!.trimStart();
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    while (/(^|[^\\])(\\\\)*\\$/.test(line) && i + 1 < lines.length) line = line.slice(0, -1) + lines[++i]!.trimStart();
    const m = /^((?:\\.|[^=:\s\\])+)\s*[=:\s]\s*(.*)$/.exec(line);
    const key = (m ? m[1]! : line).replace(/\\(.)/g, '$1');
    out.set(key, m ? m[2]!.replace(/\\(.)/g, '$1') : '');
  }
  return out;
}

/**
 * Maps container-style environment variables to keys: `KAFKA_CFG_LOG_DIRS` and `KAFKA_LOG_DIRS`
 * → `log.dirs` (`_` → `.`, `__` → `_`, `___` → `-`), only for keys the broker knows; and
 * `SAMSA_ETCD_ENDPOINTS` / `SAMSA_ETCD_PREFIX` → `samsa.etcd.endpoints` / `samsa.etcd.prefix`.
 */
export function configFromEnvironment(env: NodeJS.ProcessEnv): Map<string, string> {
  const out = new Map<string, string>();
  const entries = Object.entries(env).sort(([a], [b]) => (a.startsWith('KAFKA_CFG_') ? 1 : 0) - (b.startsWith('KAFKA_CFG_') ? 1 : 0));
  for (const [name, value] of entries) {
    if (value === undefined) continue;
    const m = /^KAFKA_(?:CFG_)?(.+)$/.exec(name);
    if (!m) continue;
    const key = m[1]!.toLowerCase().replace(/___/g, '-').replace(/__/g, '\u0000').replace(/_/g, '.').replace(/\u0000/g, '_');
    if (key in BROKER_CONFIGS) out.set(key, value);
  }
  for (const name of ['SAMSA_ETCD_ENDPOINTS', 'SAMSA_ETCD_PREFIX']) {
    const value = env[name];
    if (value !== undefined) out.set(name.toLowerCase().replace(/_/g, '.'), value);
  }
  return out;
}

export interface Listener {
  name: string;
  host: string;
  port: number;
}

export function parseListener(text: string, key: string): Listener {
  const m = /^([A-Za-z0-9_]+):\/\/(\[[^\]]*\]|[^:]*):(\d+)$/.exec(text.trim());
  if (!m) throw new ConfigError(`Invalid value ${JSON.stringify(text)} for configuration ${key}: expected NAME://host:port`);
  const port = Number(m[3]);
  if (port > 65535) throw new ConfigError(`Invalid value ${text} for configuration ${key}: port out of range`);
  return { name: m[1]!.toUpperCase(), host: m[2]!.replace(/^\[|\]$/g, ''), port };
}

/** Validated broker configuration: typed accessors plus what was set and from where. */
export class BrokerConfig {
  private readonly values = new Map<string, ConfigValue>();
  /** Keys set explicitly (file, environment, overrides), for DescribeConfigs sources. */
  readonly explicit = new Set<string>();
  /** Dynamic broker configs (AlterConfigs on this node's BROKER resource), raw text by key; they win over static values. */
  readonly dynamic = new Map<string, string>();
  /** Dynamic cluster-wide defaults (BROKER resource ""), below this node's dynamic configs. */
  readonly dynamicDefault = new Map<string, string>();
  private readonly dynamicValues = new Map<string, ConfigValue>();
  readonly warnings: string[] = [];

  constructor(...sources: Map<string, string>[]) {
    for (const [key, def] of Object.entries(BROKER_CONFIGS)) this.values.set(key, def.default === null ? null : parseValue(key, def, def.default));
    for (const source of sources) {
      for (const [key, raw] of source) {
        const def = BROKER_CONFIGS[key];
        if (!def) {
          this.warnings.push(`unknown configuration ${key} ignored`);
          continue;
        }
        const value = parseValue(key, def, raw);
        const problem = def.validate?.(value);
        if (problem) throw new ConfigError(`Invalid value ${raw} for configuration ${key}: ${problem}`);
        if (def.ignored) this.warnings.push(`configuration ${key} has no effect on a Samsa broker`);
        this.values.set(key, value);
        this.explicit.add(key);
      }
    }
    if (this.explicit.has('broker.id') && !this.explicit.has('node.id')) this.values.set('node.id', this.values.get('broker.id')!);
    // Checks that span keys, so that a bad value fails at start and names its key.
    this.listeners();
    this.advertisedListeners();
  }

  static fromSources(opts: { file?: string; env?: NodeJS.ProcessEnv; overrides?: Record<string, string | number | boolean> }): BrokerConfig {
    const sources: Map<string, string>[] = [];
    if (opts.file) sources.push(parseProperties(readFileSync(opts.file, 'utf8')));
    if (opts.env) sources.push(configFromEnvironment(opts.env));
    if (opts.overrides) sources.push(new Map(Object.entries(opts.overrides).map(([k, v]) => [k, String(v)])));
    return new BrokerConfig(...sources);
  }

  get(key: string): ConfigValue {
    if (!this.values.has(key)) throw new Error(`unknown configuration ${key}`);
    if (this.dynamicValues.has(key)) return this.dynamicValues.get(key)!;
    return this.values.get(key)!;
  }

  /** The value from defaults and static sources only (DescribeConfigs synonyms). */
  staticValue(key: string): ConfigValue {
    if (!this.values.has(key)) throw new Error(`unknown configuration ${key}`);
    return this.values.get(key)!;
  }

  /** Whether a dynamic config (per node or cluster default) sets `key`. */
  isDynamic(key: string): boolean {
    return this.dynamicValues.has(key);
  }

  /** Parses and checks one value of a key (ConfigError when bad). */
  static check(key: string, raw: string): ConfigValue {
    const def = BROKER_CONFIGS[key];
    if (!def) throw new ConfigError(`Unknown broker configuration ${key}`);
    const value = parseValue(key, def, raw);
    const problem = def.validate?.(value);
    if (problem) throw new ConfigError(`Invalid value ${raw} for configuration ${key}: ${problem}`);
    return value;
  }

  /**
   * Replaces the dynamic configs of this node (`node`) and the cluster default (`clusterDefault`);
   * values are checked first. Keys the broker does not know are kept (and described) but have no
   * effect, as Kafka keeps custom dynamic configs for plugins.
   */
  setDynamic(node: Record<string, string>, clusterDefault: Record<string, string>): void {
    const values = new Map<string, ConfigValue>();
    for (const [k, v] of [...Object.entries(clusterDefault), ...Object.entries(node)]) if (BROKER_CONFIGS[k]) values.set(k, BrokerConfig.check(k, v));
    this.dynamic.clear();
    this.dynamicDefault.clear();
    for (const [k, v] of Object.entries(node)) this.dynamic.set(k, v);
    for (const [k, v] of Object.entries(clusterDefault)) this.dynamicDefault.set(k, v);
    this.dynamicValues.clear();
    for (const [k, v] of values) this.dynamicValues.set(k, v);
  }
  int(key: string): number {
    return this.get(key) as number;
  }
  bool(key: string): boolean {
    return this.get(key) as boolean;
  }
  str(key: string): string {
    return this.get(key) as string;
  }
  list(key: string): string[] {
    return (this.get(key) as string[] | null) ?? [];
  }

  get nodeId(): number {
    return this.int('node.id');
  }

  logDirs(): string[] {
    const dirs = this.list('log.dirs');
    return dirs.length > 0 ? dirs : [this.str('log.dir')];
  }

  listeners(): Listener[] {
    const list = this.list('listeners').map((l) => parseListener(l, 'listeners'));
    if (list.length === 0) throw new ConfigError('Invalid value for configuration listeners: at least one listener is required');
    return list;
  }

  /** What clients are told to connect to; defaults to the listeners, with localhost for a wildcard host. */
  advertisedListeners(): Listener[] {
    const advertised = this.list('advertised.listeners').map((l) => parseListener(l, 'advertised.listeners'));
    if (advertised.length > 0) return advertised;
    return this.listeners()
      .filter((l) => l.name !== 'CONTROLLER')
      .map((l) => ({ ...l, host: l.host === '' || l.host === '0.0.0.0' || l.host === '::' ? 'localhost' : l.host }));
  }

  /** log.retention.ms, else minutes, else hours (Kafka's precedence). -1 keeps forever. */
  retentionMs(): number {
    const ms = this.get('log.retention.ms');
    if (ms !== null) return ms as number;
    const minutes = this.get('log.retention.minutes');
    if (minutes !== null) return (minutes as number) * 60_000;
    return this.int('log.retention.hours') * 3_600_000;
  }

  segmentMs(): number {
    const ms = this.get('log.roll.ms');
    return ms !== null ? (ms as number) : this.int('log.roll.hours') * 3_600_000;
  }
}
