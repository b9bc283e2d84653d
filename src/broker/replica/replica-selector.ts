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

/** What the selection reads of a led partition (Partition has these). */
export interface SelectablePartition {
  readonly isLeader: boolean;
  readonly localBrokerId: number;
  readonly assignedReplicas: readonly number[];
  readonly isr: readonly number[];
  readonly logStartOffset: bigint;
  readonly logEndOffset: bigint;
  replicaState(brokerId: number): { logStartOffset: bigint; logEndOffset: bigint; lastCaughtUpTimeMs: number } | undefined;
}

/**
 * Kafka's ReplicaManager.findPreferredReadReplica for a consumer's fetch of a partition this node
 * leads: the views of its replicas as the leader knows them (a follower's end is its last fetch
 * offset; in sync = in the committed ISR; alive = registered, with its rack, in the metadata).
 * -1 on a follower (only the leader redirects) or when the leader itself is the choice.
 */
export function preferredReadReplicaFor(
  selectorClass: string | null,
  clientRack: string,
  partition: SelectablePartition,
  fetchOffset: bigint,
  nowMs: number,
  brokerRack: (brokerId: number) => { rack: string | null } | undefined,
): number {
  if (!selectorClass || clientRack === '' || !partition.isLeader) return -1;
  const leader = partition.localBrokerId;
  const views: ReplicaView[] = partition.assignedReplicas.map((id) => {
    const registration = brokerRack(id);
    const alive = registration !== undefined;
    const rack = registration?.rack ?? null;
    if (id === leader) return { brokerId: id, rack, logStartOffset: partition.logStartOffset, logEndOffset: partition.logEndOffset, lastCaughtUpTimeMs: nowMs, inSync: true, alive: true };
    const s = partition.replicaState(id);
    return { brokerId: id, rack, logStartOffset: s?.logStartOffset ?? -1n, logEndOffset: s?.logEndOffset ?? -1n, lastCaughtUpTimeMs: s?.lastCaughtUpTimeMs ?? 0, inSync: partition.isr.includes(id), alive };
  });
  return selectPreferredReadReplica(selectorClass, clientRack, leader, fetchOffset, views);
}
