/**
 * Config administration as Kafka's admin APIs see it: describing topic and broker configs with
 * their sources and synonyms (DescribeConfigs, CreateTopics v5+), and validating or applying
 * changes to a topic's overrides (AlterConfigs, IncrementalAlterConfigs). Pure functions of the
 * broker config and a topic's overrides; the handlers persist the result.
 */
import { BROKER_CONFIGS, BrokerConfig, ConfigError, DYNAMIC_BROKER_CONFIGS, type ConfigValue } from './config.js';
import { ErrorCode } from './errors.js';
import { effectiveTopicConfig, invalidTopicConfig, TOPIC_CONFIGS } from './topic-configs.js';

/** Kafka's ConfigResource.Type ids. */
export const ResourceType = {
  UNKNOWN: 0,
  TOPIC: 2,
  BROKER: 4,
  BROKER_LOGGER: 8,
  CLIENT_METRICS: 16,
  GROUP: 32,
} as const;

/** DescribeConfigsResponse.ConfigSource ids (also used by CreateTopics v5+). */
export const ConfigSource = {
  UNKNOWN: 0,
  TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
  DYNAMIC_BROKER_LOGGER_CONFIG: 6,
  CLIENT_METRICS_CONFIG: 7,
} as const;

/** DescribeConfigsResponse.ConfigType ids (v3+). */
export const ConfigType = {
  UNKNOWN: 0,
  BOOLEAN: 1,
  STRING: 2,
  INT: 3,
  SHORT: 4,
  LONG: 5,
  DOUBLE: 6,
  LIST: 7,
  CLASS: 8,
  PASSWORD: 9,
} as const;

/** AlterConfigOp.OpType ids of IncrementalAlterConfigs. */
export const AlterConfigOp = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const;
const OP_NAMES = ['SET', 'DELETE', 'APPEND', 'SUBTRACT'];

/** An error for one resource or topic, as the responses carry it. */
export interface ApiError {
  code: number;
  message: string | null;
}

export interface ConfigSynonym {
  name: string;
  value: string | null;
  source: number;
}

/** One config as DescribeConfigs reports it (all versions' fields; the handler picks). */
export interface DescribedConfig {
  name: string;
  value: string | null;
  readOnly: boolean;
  source: number;
  isSensitive: boolean;
  /** Kafka's order: the topic override, then broker keys set explicitly, then broker defaults. */
  synonyms: ConfigSynonym[];
  configType: number;
}

const LONG_MAX = '9223372036854775807';

const TYPE_IDS: Record<string, number> = {
  boolean: ConfigType.BOOLEAN,
  string: ConfigType.STRING,
  int: ConfigType.INT,
  long: ConfigType.LONG,
  double: ConfigType.DOUBLE,
  list: ConfigType.LIST,
  class: ConfigType.CLASS,
};

/**
 * A broker config's current value as Kafka prints it: Long.MAX_VALUE in full, lists
 * comma-joined, doubles with a decimal point, null when unset.
 */
export function brokerConfigValue(config: BrokerConfig, key: string): string | null {
  if (!BROKER_CONFIGS[key]) return null;
  const v = config.get(key);
  if (v === null) return key === 'broker.id' ? String(config.nodeId) : null;
  return formatBrokerValue(key, v);
}

function formatBrokerValue(key: string, v: ConfigValue): string | null {
  const def = BROKER_CONFIGS[key]!;
  if (v === null) return null;
  if (Array.isArray(v)) return v.join(',');
  if (typeof v === 'number') {
    if (def.type === 'long' && v >= Number.MAX_SAFE_INTEGER) return LONG_MAX;
    if (def.type === 'double') return javaDouble(v);
    return String(v);
  }
  return String(v);
}

/** A double as Java's Double.toString prints it: 0.5, 1.0, 1.0E7, 1.7976931348623157E308. */
export function javaDouble(v: number): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
  const a = Math.abs(v);
  if (a === 0 || (a >= 1e-3 && a < 1e7)) return Number.isInteger(v) ? `${v}.0` : String(v);
  const [mantissa, exponent] = v.toExponential().split('e') as [string, string];
  return `${mantissa.includes('.') ? mantissa : `${mantissa}.0`}E${Number(exponent)}`;
}

/**
 * Broker keys whose Kafka type differs from how Samsa parses them: Kafka declares the listener
 * keys and log.dirs as STRING (parsed as lists later) and the internal topics' replication
 * factors as SHORT.
 */
const BROKER_CONFIG_TYPES: Record<string, number> = {
  'listeners': ConfigType.STRING,
  'advertised.listeners': ConfigType.STRING,
  'listener.security.protocol.map': ConfigType.STRING,
  'controller.listener.names': ConfigType.STRING,
  'log.dirs': ConfigType.STRING,
  'offsets.topic.replication.factor': ConfigType.SHORT,
  'transaction.state.log.replication.factor': ConfigType.SHORT,
};

const brokerConfigType = (name: string) => BROKER_CONFIG_TYPES[name] ?? TYPE_IDS[BROKER_CONFIGS[name]?.type ?? ''] ?? ConfigType.UNKNOWN;

const wanted = (keys: readonly string[] | null) => {
  // Kafka treats an empty key list like null: every config.
  if (keys === null || keys.length === 0) return () => true;
  const set = new Set(keys);
  return (k: string) => set.has(k);
};

/** A topic's configs: every Kafka topic config (or those in `keys`) with value, source and synonyms. */
export function describeTopicConfigs(config: BrokerConfig, overrides: Record<string, string>, keys: readonly string[] | null = null): DescribedConfig[] {
  const include = wanted(keys);
  const out: DescribedConfig[] = [];
  for (const [name, def] of Object.entries(TOPIC_CONFIGS)) {
    if (!include(name)) continue;
    const sensitive = def.sensitive === true;
    const hide = (v: string | null) => (sensitive ? null : v);
    // Kafka's ConfigHelper.configSynonyms: the broker keys by source (dynamic, dynamic default,
    // static, default), each source in the keys' precedence order, then everything before the
    // first entry of the primary key dropped: log.retention.hours alone (set or by default) is
    // not listed under retention.ms unless log.retention.ms is set somewhere too.
    const broker: ConfigSynonym[] = [];
    for (const [key] of def.synonyms) {
      const v = config.dynamic.get(key);
      if (v !== undefined) broker.push({ name: key, value: hide(v), source: ConfigSource.DYNAMIC_BROKER_CONFIG });
    }
    for (const [key] of def.synonyms) {
      const v = config.dynamicDefault.get(key);
      if (v !== undefined) broker.push({ name: key, value: hide(v), source: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG });
    }
    for (const [key] of def.synonyms) {
      if (!config.explicit.has(key) || !BROKER_CONFIGS[key]) continue;
      const v = formatBrokerValue(key, config.staticValue(key));
      if (v !== null) broker.push({ name: key, value: hide(v), source: ConfigSource.STATIC_BROKER_CONFIG });
    }
    for (const [key] of def.synonyms) {
      const d = BROKER_CONFIGS[key]?.default;
      if (d !== undefined && d !== null) broker.push({ name: key, value: hide(d), source: ConfigSource.DEFAULT_CONFIG });
    }
    const primary = def.synonyms[0]?.[0];
    const first = broker.findIndex((x) => x.name === primary);
    const synonyms: ConfigSynonym[] = first < 0 ? [] : broker.slice(first);
    const own = overrides[name];
    if (own !== undefined) synonyms.unshift({ name, value: hide(own), source: ConfigSource.TOPIC_CONFIG });
    out.push({
      name,
      value: hide(effectiveTopicConfig(config, overrides, name).value),
      readOnly: false,
      source: synonyms[0]?.source ?? ConfigSource.DEFAULT_CONFIG,
      isSensitive: sensitive,
      synonyms,
      configType: sensitive ? ConfigType.PASSWORD : (TYPE_IDS[def.type] ?? ConfigType.UNKNOWN),
    });
  }
  return out;
}

/**
 * This broker's configs: every key the broker knows, with its source: a dynamic config of this
 * node, a dynamic cluster default, the static configuration, or Kafka's default. Keys in
 * DYNAMIC_BROKER_CONFIGS can be changed at run time; the others are read-only.
 */
export function describeBrokerConfigs(config: BrokerConfig, keys: readonly string[] | null = null): DescribedConfig[] {
  const include = wanted(keys);
  const out: DescribedConfig[] = [];
  for (const [name, def] of Object.entries(BROKER_CONFIGS)) {
    if (!include(name)) continue;
    const value = brokerConfigValue(config, name);
    const explicit = config.explicit.has(name);
    const synonyms: ConfigSynonym[] = [];
    const dyn = config.dynamic.get(name);
    const dynDefault = config.dynamicDefault.get(name);
    if (def.describedWhenSet && !explicit && dyn === undefined && dynDefault === undefined) continue;
    if (dyn !== undefined) synonyms.push({ name, value: dyn, source: ConfigSource.DYNAMIC_BROKER_CONFIG });
    if (dynDefault !== undefined) synonyms.push({ name, value: dynDefault, source: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG });
    if (explicit) synonyms.push({ name, value: formatBrokerValue(name, config.staticValue(name)), source: ConfigSource.STATIC_BROKER_CONFIG });
    // broker.id has no default here (it follows node.id); Kafka's is -1.
    const defaultValue = name === 'broker.id' ? '-1' : def.default;
    if (defaultValue !== null && !def.describedWhenSet) synonyms.push({ name, value: defaultValue, source: ConfigSource.DEFAULT_CONFIG });
    out.push({
      name,
      value,
      readOnly: !DYNAMIC_BROKER_CONFIGS.has(name),
      source: synonyms[0]?.source ?? ConfigSource.DEFAULT_CONFIG,
      isSensitive: false,
      synonyms,
      configType: brokerConfigType(name),
    });
  }
  // Dynamic configs the broker does not know (kept for plugins): Kafka lists them too, and as
  // their type is unknown it treats them as possibly sensitive: no value, read-only.
  for (const name of new Set([...config.dynamic.keys(), ...config.dynamicDefault.keys()])) {
    if (BROKER_CONFIGS[name] || !include(name)) continue;
    const synonyms: ConfigSynonym[] = [];
    if (config.dynamic.has(name)) synonyms.push({ name, value: null, source: ConfigSource.DYNAMIC_BROKER_CONFIG });
    if (config.dynamicDefault.has(name)) synonyms.push({ name, value: null, source: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG });
    out.push({ name, value: null, readOnly: true, source: synonyms[0]!.source, isSensitive: true, synonyms, configType: ConfigType.UNKNOWN });
  }
  return out;
}

/** Kafka's broker-side checks of one alter request's entries: duplicate keys, then null values. */
export function checkAlterEntries(entries: readonly { name: string; value: string | null }[], nullAllowed: (i: number) => boolean = () => false): ApiError | undefined {
  const seen = new Set<string>();
  for (const e of entries) {
    if (seen.has(e.name)) return { code: ErrorCode.INVALID_REQUEST, message: 'Error due to duplicate config keys' };
    seen.add(e.name);
  }
  const nulls = entries.filter((e, i) => e.value === null && !nullAllowed(i)).map((e) => e.name);
  if (nulls.length > 0) return { code: ErrorCode.INVALID_REQUEST, message: `Null value not supported for : ${nulls.join(', ')}` };
  return undefined;
}

/** Validates a full set of topic overrides (names and values); INVALID_CONFIG on the first bad one. */
export function validateTopicOverrides(configs: Record<string, string | null>): ApiError | undefined {
  for (const [key, value] of Object.entries(configs)) {
    const problem = invalidTopicConfig(key, value);
    if (problem) return { code: ErrorCode.INVALID_CONFIG, message: problem };
  }
  return undefined;
}

/** The dynamic configs of the BROKER resource "" (cluster default), DescribeConfigs' answer for it. */
export function describeDynamicDefaultConfigs(config: BrokerConfig, keys: readonly string[] | null = null): DescribedConfig[] {
  const include = wanted(keys);
  const out: DescribedConfig[] = [];
  for (const [name, raw] of config.dynamicDefault) {
    if (!include(name)) continue;
    // A key the broker does not know: possibly sensitive, as Kafka treats configs of unknown type.
    const unknown = !BROKER_CONFIGS[name];
    const value = unknown ? null : raw;
    out.push({
      name,
      value,
      readOnly: false,
      source: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG,
      isSensitive: unknown,
      synonyms: [{ name, value, source: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG }],
      configType: brokerConfigType(name),
    });
  }
  return out;
}

/**
 * Checks a new set of dynamic broker configs as Kafka's ConfigAdminManager does before it sends
 * them to the controller: a known key that cannot change at run time, or a bad value, is an
 * INVALID_REQUEST. Keys the broker does not know are accepted (Kafka keeps them for plugins).
 */
export function validateDynamicBrokerConfigs(configs: Record<string, string>): ApiError | undefined {
  const notDynamic = Object.keys(configs).filter((k) => BROKER_CONFIGS[k] && !DYNAMIC_BROKER_CONFIGS.has(k));
  if (notDynamic.length > 0) return { code: ErrorCode.INVALID_REQUEST, message: `Cannot update these configs dynamically: Set(${notDynamic.join(', ')})` };
  for (const [k, v] of Object.entries(configs)) {
    if (!BROKER_CONFIGS[k]) continue;
    try {
      BrokerConfig.check(k, v);
    } catch (e) {
      if (e instanceof ConfigError) return { code: ErrorCode.INVALID_REQUEST, message: `Invalid config value for resource: ${e.message}` };
      throw e;
    }
  }
  return undefined;
}

/** IncrementalAlterConfigs on a BROKER resource: the new dynamic set (SET/DELETE; APPEND/SUBTRACT on list keys). */
export function applyBrokerIncrementalOps(config: BrokerConfig, current: Record<string, string>, ops: readonly IncrementalOp[]): { configs: Record<string, string> } | ApiError {
  const invalid = checkAlterEntries(ops, (i) => ops[i]!.configOperation === AlterConfigOp.DELETE);
  if (invalid) return invalid;
  const bad = ops.find((o) => OP_NAMES[o.configOperation] === undefined);
  if (bad) return { code: ErrorCode.INVALID_REQUEST, message: `Unknown operations type ${bad.configOperation}` };
  const next: Record<string, string> = { ...current };
  const changed: Record<string, string> = {};
  for (const op of ops) {
    const key = op.name;
    if (op.configOperation === AlterConfigOp.SET) next[key] = changed[key] = op.value!;
    else if (op.configOperation === AlterConfigOp.DELETE) delete next[key];
    else {
      if (BROKER_CONFIGS[key]?.type !== 'list') {
        return { code: ErrorCode.INVALID_CONFIG, message: `Can't ${OP_NAMES[op.configOperation]} to key ${key} because its type is not LIST.` };
      }
      const items = (next[key] ?? brokerConfigValue(config, key) ?? '').split(',').filter((s) => s !== '');
      for (const v of op.value!.split(',')) {
        const at = items.indexOf(v);
        if (op.configOperation === AlterConfigOp.APPEND) {
          if (at < 0) items.push(v);
        } else if (at >= 0) items.splice(at, 1);
      }
      next[key] = changed[key] = items.join(',');
    }
  }
  // Deleting a key that is not set (even one that cannot be set dynamically) changes nothing, as in Kafka.
  return validateDynamicBrokerConfigs(changed) ?? { configs: next };
}

export interface IncrementalOp {
  name: string;
  configOperation: number;
  value: string | null;
}

/**
 * Applies IncrementalAlterConfigs operations to a topic's overrides, returning the new full set
 * of overrides (the input is not modified) or Kafka's error. APPEND and SUBTRACT work on the
 * list items of the current value: the override, else the value the topic has from the broker
 * or Kafka's default.
 */
export function applyIncrementalOps(config: BrokerConfig, overrides: Record<string, string>, ops: readonly IncrementalOp[]): { configs: Record<string, string> } | ApiError {
  const invalid = checkAlterEntries(ops, (i) => ops[i]!.configOperation === AlterConfigOp.DELETE);
  if (invalid) return invalid;
  const bad = ops.find((o) => OP_NAMES[o.configOperation] === undefined);
  if (bad) return { code: ErrorCode.INVALID_REQUEST, message: `Unknown operations type ${bad.configOperation}` };

  const next: Record<string, string> = { ...overrides };
  const changed: string[] = [];
  for (const op of ops) {
    const key = op.name;
    switch (op.configOperation) {
      case AlterConfigOp.SET:
        next[key] = op.value!;
        changed.push(key);
        break;
      case AlterConfigOp.DELETE:
        delete next[key];
        break;
      default: {
        if (TOPIC_CONFIGS[key]?.type !== 'list') {
          return { code: ErrorCode.INVALID_CONFIG, message: `Can't ${OP_NAMES[op.configOperation]} to key ${key} because its type is not LIST.` };
        }
        const current = next[key] ?? effectiveTopicConfig(config, {}, key).value;
        const items = current.split(',').filter((s) => s !== '');
        for (const v of op.value!.split(',')) {
          if (op.configOperation === AlterConfigOp.APPEND) {
            if (!items.includes(v)) items.push(v);
          } else {
            const at = items.indexOf(v);
            if (at >= 0) items.splice(at, 1);
          }
        }
        next[key] = items.join(',');
        changed.push(key);
      }
    }
  }
  const toCheck: Record<string, string> = {};
  for (const k of changed) if (k in next) toCheck[k] = next[k]!;
  const problem = validateTopicOverrides(toCheck);
  return problem ?? { configs: next };
}
