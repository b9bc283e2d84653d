/**
 * KIP-392 follower fetching: which replica a consumer should read from. Mirrors Kafka's
 * `replica.selector.class` choices: null (the leader only) or RackAwareReplicaSelector.
 */

/** Kafka's class names accepted in `replica.selector.class`. */
export const RACK_AWARE_REPLICA_SELECTOR = 'org.apache.kafka.common.replica.RackAwareReplicaSelector';
export const REPLICA_SELECTOR_CLASSES: readonly string[] = [RACK_AWARE_REPLICA_SELECTOR];

/** Config check: a class Samsa has no equivalent of is refused rather than silently ignored. */
export function validateReplicaSelectorClass(value: unknown): string | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  if (typeof value === 'string' && REPLICA_SELECTOR_CLASSES.includes(value.trim())) return undefined;
  return `class ${String(value)} is not supported; use ${REPLICA_SELECTOR_CLASSES.join(' or ')} (or leave unset for leader-only reads)`;
}

export interface ReplicaView {
  brokerId: number;
  rack: string | null;
  logStartOffset: bigint;
  logEndOffset: bigint;
  /** When the replica was last caught up with the leader (ms); the leader's own is "now". */
  lastCaughtUpTimeMs: number;
  inSync: boolean;
  alive: boolean;
}

/**
 * The preferred read replica for a consumer fetch at `fetchOffset`, or -1 to keep reading from
 * the leader. Only in-sync, alive replicas that hold `fetchOffset` qualify (Kafka's
 * findPreferredReadReplica); among those in the client's rack the leader wins, else the most
 * caught-up one (largest log end, then the latest caught-up time), as RackAwareReplicaSelector.
 */
export function selectPreferredReadReplica(
  selectorClass: string | null,
  clientRack: string,
  leaderId: number,
  fetchOffset: bigint,
  replicas: readonly ReplicaView[],
): number {
  if (!selectorClass || clientRack === '') return -1;
  const candidates = replicas.filter(
    (r) =>
      r.brokerId === leaderId ||
      (r.inSync && r.alive && r.logEndOffset >= fetchOffset && r.logStartOffset <= fetchOffset),
  );
  const sameRack = candidates.filter((r) => r.rack !== null && r.rack === clientRack);
  if (sameRack.length === 0 || sameRack.some((r) => r.brokerId === leaderId)) return -1;
  sameRack.sort((a, b) =>
    a.logEndOffset !== b.logEndOffset ? (a.logEndOffset > b.logEndOffset ? -1 : 1) : b.lastCaughtUpTimeMs - a.lastCaughtUpTimeMs,
  );
  return sameRack[0]!.brokerId;
}
