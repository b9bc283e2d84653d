/**
 * Where the CLI finds its cluster: -b/--brokers, then SAMSA_BROKERS, then a named profile
 * (--profile, SAMSA_PROFILE, or the file's default) from the profile file, then localhost:9092.
 *
 * Profile file: $SAMSA_CONFIG or ~/.config/samsa/profiles.json:
 *   { "default": "local",
 *     "profiles": { "local": { "brokers": "localhost:9092", "settings": { "client.id": "me" } } } }
 * `-X key=value` settings (Kafka's client property names) override the profile's.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ClientOptions, ConsumerOptions, ProducerOptions, CompressionName } from '../client/index.js';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface Profile {
  brokers?: string | string[];
  settings?: Record<string, string | number | boolean>;
}

export interface ResolvedCluster {
  brokers: string[];
  settings: Record<string, string>;
  profile: string | null;
  source: string;
}

export function profilePath(env: NodeJS.ProcessEnv = process.env): string {
  return env.SAMSA_CONFIG ?? join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'samsa', 'profiles.json');
}

function loadProfiles(path: string): { default?: string; profiles: Record<string, Profile> } | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return null;
  }
  try {
    const data = JSON.parse(text) as { default?: string; profiles?: Record<string, Profile> };
    return { default: data.default, profiles: data.profiles ?? {} };
  } catch (e) {
    throw new UsageError(`profile file ${path} is not valid JSON: ${(e as Error).message}`);
  }
}

const splitBrokers = (b: string | string[]): string[] => (Array.isArray(b) ? b : b.split(',')).map((s) => s.trim()).filter(Boolean);

export function parseKeyValues(list: string[] | undefined, what: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of list ?? []) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new UsageError(`${what} needs key=value, got "${kv}"`);
    out[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return out;
}

export function resolveCluster(opts: { brokers?: string; profile?: string; set?: string[] }, env: NodeJS.ProcessEnv = process.env): ResolvedCluster {
  const path = profilePath(env);
  const file = loadProfiles(path);
  const profileName = opts.profile ?? env.SAMSA_PROFILE ?? file?.default ?? null;
  let profile: Profile | undefined;
  if (profileName) {
    profile = file?.profiles[profileName];
    if (!profile && (opts.profile || env.SAMSA_PROFILE)) throw new UsageError(`no profile "${profileName}" in ${path}${file ? ` (profiles: ${Object.keys(file.profiles).join(', ') || 'none'})` : ' (file not found)'}`);
  }
  const settings: Record<string, string> = {};
  for (const [k, v] of Object.entries(profile?.settings ?? {})) settings[k] = String(v);
  Object.assign(settings, parseKeyValues(opts.set, '-X'));
  if (opts.brokers) return { brokers: splitBrokers(opts.brokers), settings, profile: profileName, source: '--brokers' };
  if (env.SAMSA_BROKERS) return { brokers: splitBrokers(env.SAMSA_BROKERS), settings, profile: profileName, source: 'SAMSA_BROKERS' };
  if (profile?.brokers) return { brokers: splitBrokers(profile.brokers), settings, profile: profileName, source: `profile ${profileName}` };
  if (settings['bootstrap.servers']) return { brokers: splitBrokers(settings['bootstrap.servers']), settings, profile: profileName, source: '-X bootstrap.servers' };
  return { brokers: ['localhost:9092'], settings, profile: profileName, source: 'default' };
}

const KNOWN = new Set([
  'bootstrap.servers', 'client.id', 'request.timeout.ms', 'socket.connection.setup.timeout.ms', 'retries', 'retry.backoff.ms', 'metadata.max.age.ms',
  'acks', 'enable.idempotence', 'linger.ms', 'batch.size', 'compression.type', 'delivery.timeout.ms', 'allow.auto.create.topics',
  'group.instance.id', 'session.timeout.ms', 'heartbeat.interval.ms', 'max.poll.interval.ms', 'auto.offset.reset', 'enable.auto.commit', 'auto.commit.interval.ms',
  'fetch.max.wait.ms', 'fetch.min.bytes', 'fetch.max.bytes', 'max.partition.fetch.bytes', 'isolation.level', 'partition.assignment.strategy',
]);

function num(settings: Record<string, string>, key: string): number | undefined {
  const v = settings[key];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new UsageError(`-X ${key} must be a number, got "${v}"`);
  return n;
}

export function checkSettings(settings: Record<string, string>): void {
  for (const k of Object.keys(settings)) if (!KNOWN.has(k)) throw new UsageError(`unknown client setting -X ${k} (known: ${[...KNOWN].sort().join(', ')})`);
}

export function clientOptions(c: ResolvedCluster): ClientOptions {
  const s = c.settings;
  // A command line fails fast: few retries, short backoff (both settable with -X).
  const o: ClientOptions = { brokers: c.brokers, clientId: s['client.id'] ?? 'samsa-cli', retries: 3, retryBackoffMs: 50 };
  const set = <K extends keyof ClientOptions>(k: K, v: ClientOptions[K] | undefined) => {
    if (v !== undefined) o[k] = v;
  };
  set('requestTimeoutMs', num(s, 'request.timeout.ms'));
  set('connectTimeoutMs', num(s, 'socket.connection.setup.timeout.ms'));
  set('retries', num(s, 'retries'));
  set('retryBackoffMs', num(s, 'retry.backoff.ms'));
  set('metadataMaxAgeMs', num(s, 'metadata.max.age.ms'));
  return o;
}

export function producerOptions(c: ResolvedCluster): ProducerOptions {
  const s = c.settings;
  const o: ProducerOptions = {};
  if (s.acks !== undefined) o.acks = s.acks === 'all' ? -1 : Number(s.acks);
  if (s['enable.idempotence'] !== undefined) o.idempotent = s['enable.idempotence'] === 'true';
  if (s['linger.ms'] !== undefined) o.lingerMs = num(s, 'linger.ms')!;
  if (s['batch.size'] !== undefined) o.batchSize = num(s, 'batch.size')!;
  if (s['compression.type'] !== undefined) o.compression = s['compression.type'] as CompressionName;
  if (s['allow.auto.create.topics'] !== undefined) o.allowAutoTopicCreation = s['allow.auto.create.topics'] === 'true';
  return o;
}

export function consumerOptions(c: ResolvedCluster): ConsumerOptions {
  const s = c.settings;
  const o: ConsumerOptions = {};
  if (s['group.instance.id']) o.groupInstanceId = s['group.instance.id'];
  if (s['session.timeout.ms']) o.sessionTimeoutMs = num(s, 'session.timeout.ms')!;
  if (s['heartbeat.interval.ms']) o.heartbeatIntervalMs = num(s, 'heartbeat.interval.ms')!;
  if (s['max.poll.interval.ms']) o.rebalanceTimeoutMs = num(s, 'max.poll.interval.ms')!;
  if (s['auto.offset.reset']) o.autoOffsetReset = s['auto.offset.reset'] as 'earliest';
  if (s['enable.auto.commit']) o.autoCommit = s['enable.auto.commit'] === 'true';
  if (s['auto.commit.interval.ms']) o.autoCommitIntervalMs = num(s, 'auto.commit.interval.ms')!;
  if (s['fetch.max.wait.ms']) o.maxWaitMs = num(s, 'fetch.max.wait.ms')!;
  if (s['fetch.min.bytes']) o.minBytes = num(s, 'fetch.min.bytes')!;
  if (s['fetch.max.bytes']) o.maxBytes = num(s, 'fetch.max.bytes')!;
  if (s['max.partition.fetch.bytes']) o.partitionMaxBytes = num(s, 'max.partition.fetch.bytes')!;
  if (s['isolation.level']) o.isolationLevel = s['isolation.level'] === 'read_committed' ? 1 : 0;
  if (s['partition.assignment.strategy']) o.assignors = s['partition.assignment.strategy'].split(',').map((x) => x.trim());
  return o;
}
