/**
 * Replication throttles (KIP-73, as Kafka 4's ReplicationQuotaManager): one quota per broker for
 * the leader side (bytes served to followers) and one for the follower side (bytes fetched from
 * leaders), each bounded by a broker config (`leader.replication.throttled.rate` /
 * `follower.replication.throttled.rate`, bytes/s, dynamic), and applying only to the replicas a
 * topic config names (`leader.replication.throttled.replicas` /
 * `follower.replication.throttled.replicas`: `partition:broker,...` entries for this broker, or
 * `*` for all). The throttled partitions' bytes are recorded (in-sync replicas' too, so that the
 * total replication traffic stays within the rate); only out-of-sync replicas are held back
 * while the quota is exceeded (Kafka's shouldLeaderThrottle / shouldFollowerThrottle).
 *
 * The rate is a token bucket: it fills at the rate up to one second's worth (Kafka's default
 * one-second quota window), a transfer takes its bytes (the balance may go negative: a fetch is
 * never cut in the middle, as Kafka's), and the quota is exceeded while the balance is negative.
 */
import { SYSTEM_TIME, type Time } from '../../util/time.js';

/** Kafka's default: no limit (Long.MAX_VALUE bytes/s). */
export const UNLIMITED_RATE = Number.MAX_SAFE_INTEGER;

/** Bytes per second with one second of burst; `rate` may change at any time (a dynamic config). */
export class TokenBucket {
  private tokens: number;
  private lastRefillMs: number;
  private currentRate: number;

  constructor(
    rate: number,
    private readonly time: Pick<Time, 'now'> = SYSTEM_TIME,
  ) {
    this.currentRate = rate;
    this.tokens = rate;
    this.lastRefillMs = time.now();
  }

  get rate(): number {
    return this.currentRate;
  }

  /** A new rate applies from now on; the balance is kept, capped at the new burst. */
  setRate(rate: number): void {
    if (rate === this.currentRate) return;
    this.refill();
    this.currentRate = rate;
    if (this.tokens > rate) this.tokens = rate;
  }

  /** Bytes that may still go out now without exceeding the rate (negative: in debt). */
  get available(): number {
    this.refill();
    return this.tokens;
  }

  /** Whether a transfer now would exceed the rate (the balance is negative). */
  get exceeded(): boolean {
    return this.currentRate < UNLIMITED_RATE && this.available < 0;
  }

  /** `bytes` went out. */
  record(bytes: number): void {
    if (this.currentRate >= UNLIMITED_RATE) return;
    this.refill();
    this.tokens -= bytes;
  }

  private refill(): void {
    const now = this.time.now();
    const elapsed = now - this.lastRefillMs;
    this.lastRefillMs = now;
    if (elapsed <= 0) return;
    this.tokens = Math.min(this.currentRate, this.tokens + (elapsed * this.currentRate) / 1000);
  }
}

/** Which partitions of a topic a throttled-replicas list throttles on broker `brokerId`. */
export type ThrottledPartitions = 'all' | ReadonlySet<number>;

const ENTRY = /^(\d+:\d+)?$/;

/** Kafka's ThrottledReplicaListValidator for config `name`: the literal `*`, or `partition:broker` entries (none: empty). */
export const throttledReplicasValidator =
  (name: string) =>
  (value: string): string | undefined => {
    if (value.trim() === '*' || value.split(',').every((e) => ENTRY.test(e.trim()))) return undefined;
    return `${name} must be the literal '*' or a list of replicas in the following format: [partitionId]:[brokerId],[partitionId]:[brokerId],...`;
  };

/**
 * The partitions a throttled-replicas list names for broker `brokerId` (Kafka's
 * parseThrottledPartitions: entries of other brokers are ignored). Assumes a valid value.
 */
export function parseThrottledReplicas(value: string, brokerId: number): ThrottledPartitions {
  const text = value.trim();
  if (text === '*') return 'all';
  const partitions = new Set<number>();
  for (const entry of text.split(',')) {
    const [partition, broker] = entry.trim().split(':');
    if (partition === undefined || broker === undefined || partition === '') continue;
    if (Number(broker) === brokerId) partitions.add(Number(partition));
  }
  return partitions;
}

/** One side's quota (Kafka's ReplicaQuota): which partitions it covers, and its shared rate. */
export class ReplicationQuota {
  private readonly throttled = new Map<string, ThrottledPartitions>();
  private readonly bucket: TokenBucket;

  constructor(
    /** The rate now (read at each check: the config is dynamic). */
    private readonly rate: () => number,
    time: Pick<Time, 'now'> = SYSTEM_TIME,
  ) {
    this.bucket = new TokenBucket(rate(), time);
  }

  /** A topic's throttled-replicas list for this broker (none / empty: its throttle is removed). */
  markThrottled(topic: string, partitions: ThrottledPartitions | undefined): void {
    if (partitions === undefined || (partitions !== 'all' && partitions.size === 0)) this.throttled.delete(topic);
    else this.throttled.set(topic, partitions);
  }

  removeThrottle(topic: string): void {
    this.throttled.delete(topic);
  }

  isThrottled(topic: string, partition: number): boolean {
    const t = this.throttled.get(topic);
    return t !== undefined && (t === 'all' || t.has(partition));
  }

  isQuotaExceeded(): boolean {
    this.bucket.setRate(this.rate());
    return this.bucket.exceeded;
  }

  record(bytes: number): void {
    if (bytes <= 0) return;
    this.bucket.setRate(this.rate());
    this.bucket.record(bytes);
  }

  /** Kafka's shouldLeaderThrottle / shouldFollowerThrottle: throttled, out of sync, and over the rate. */
  shouldThrottle(topic: string, partition: number, inSync: boolean): boolean {
    return !inSync && this.isThrottled(topic, partition) && this.isQuotaExceeded();
  }
}
