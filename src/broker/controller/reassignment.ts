/**
 * Partition reassignment as KIP-455 does it. Moving replicas R to a target T first widens the
 * replica set to T followed by R \ T (target order first, so the preferred leader is the
 * target's), with adding = T \ R and removing = R \ T; the adding replicas fetch like any
 * follower. Once every adding replica is in the ISR the controller completes it: replicas = T,
 * ISR ∩ T, and a leader being removed is replaced from the ISR (leader epoch bumped). Cancelling
 * reverts to the original replicas R.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import type { MetadataImage, PartitionRegistration } from '../metadata/image.js';
import type { PartitionChange } from './partition-change.js';

const adding = (p: PartitionRegistration) => p.addingReplicas ?? [];
const removing = (p: PartitionRegistration) => p.removingReplicas ?? [];

export const inReassignment = (p: PartitionRegistration): boolean => adding(p).length > 0 || removing(p).length > 0;

/** The replicas the partition had before its reassignment (Kafka's originalReplicas). */
export const originalReplicas = (p: PartitionRegistration): number[] => p.replicas.filter((id) => !adding(p).includes(id));

/** The reassignment's target (replicas minus the removing ones), or the replicas when none. */
export const targetReplicas = (p: PartitionRegistration): number[] => p.replicas.filter((id) => !removing(p).includes(id));

/** Why `target` is no valid assignment (INVALID_REPLICA_ASSIGNMENT), or undefined when it is. */
export function invalidTarget(target: readonly number[], registered: (id: number) => boolean): string | undefined {
  if (target.length === 0) return 'The target replica set is empty.';
  if (new Set(target).size !== target.length) return `The target replicas ${JSON.stringify(target)} contain duplicates.`;
  const unknown = target.find((id) => !registered(id));
  if (unknown !== undefined) return `Broker ${unknown} is not a registered broker.`;
  return undefined;
}

const sameList = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((id, i) => id === b[i]);

/** `leader` if it stays eligible, else the first of `isr` (epoch bumped), else offline. */
function withLeader(p: PartitionRegistration, replicas: number[], isr: number[], extra: Partial<PartitionRegistration>): PartitionRegistration {
  // Kafka never empties the ISR: if none of it survives, the old ISR stays until replicas catch up.
  const keptIsr = isr.length > 0 ? isr : p.isr.slice();
  const leader = keptIsr.includes(p.leader) && replicas.includes(p.leader) ? p.leader : keptIsr.find((id) => replicas.includes(id)) ?? -1;
  const out: PartitionRegistration = {
    replicas,
    isr: keptIsr,
    leader,
    leaderEpoch: leader === p.leader ? p.leaderEpoch : p.leaderEpoch + 1,
    partitionEpoch: p.partitionEpoch + 1,
    ...extra,
  };
  if (!out.addingReplicas?.length && !out.removingReplicas?.length) {
    const { addingReplicas: _a, removingReplicas: _r, ...plain } = out;
    return plain;
  }
  return out;
}

/**
 * The registration once a reassignment to `target` starts; a reassignment already in progress is
 * replaced, starting again from its original replicas. Undefined when nothing changes.
 */
export function startReassignment(p: PartitionRegistration, target: readonly number[]): PartitionRegistration | undefined {
  const original = originalReplicas(p);
  if (sameList(original, target)) return inReassignment(p) ? cancelReassignment(p) : undefined;
  const addingReplicas = target.filter((id) => !original.includes(id));
  const removingReplicas = original.filter((id) => !target.includes(id));
  const replicas = [...target, ...removingReplicas];
  const isr = p.isr.filter((id) => replicas.includes(id));
  const started = withLeader(p, replicas, isr, { addingReplicas, removingReplicas });
  // Straight away complete when nothing needs to catch up (only removals, or a reorder).
  return completeReassignment(started) ?? started;
}

/** Back to the original replicas (a reassignment cancelled), or undefined when none is in progress. */
export function cancelReassignment(p: PartitionRegistration): PartitionRegistration | undefined {
  if (!inReassignment(p)) return undefined;
  const replicas = originalReplicas(p);
  return withLeader(p, replicas, p.isr.filter((id) => replicas.includes(id)), { addingReplicas: [], removingReplicas: [] });
}

/** The completed registration when every adding replica is in sync, else undefined. */
export function completeReassignment(p: PartitionRegistration): PartitionRegistration | undefined {
  if (!inReassignment(p) || !adding(p).every((id) => p.isr.includes(id))) return undefined;
  const replicas = targetReplicas(p);
  return withLeader(p, replicas, p.isr.filter((id) => replicas.includes(id)), { addingReplicas: [], removingReplicas: [] });
}

/** Every reassignment of `image` ready to complete, for the controller's work loop after ISR changes. */
export function reassignmentCompletions(image: MetadataImage): PartitionChange[] {
  const out: PartitionChange[] = [];
  for (const t of image.topics.values()) {
    t.partitions.forEach((p, index) => {
      const registration = completeReassignment(p);
      if (registration) out.push({ topic: t.name, index, registration });
    });
  }
  return out;
}

export interface ReassignmentResult {
  readonly code: number;
  readonly message?: string;
  readonly registration?: PartitionRegistration;
}

/** A request's outcome for one partition: `target` null cancels (Kafka's AlterPartitionReassignments). */
export function reassign(image: MetadataImage, topic: string, index: number, target: readonly number[] | null): ReassignmentResult {
  const p = image.partition(topic, index);
  if (!p) return { code: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, message: `Unknown partition ${topic}-${index}.` };
  if (target === null) {
    const registration = cancelReassignment(p);
    if (!registration) return { code: ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, message: `No reassignment of ${topic}-${index} is in progress.` };
    return { code: ErrorCode.NONE, registration };
  }
  const invalid = invalidTarget(target, (id) => image.broker(id) !== undefined);
  if (invalid) return { code: ErrorCode.INVALID_REPLICA_ASSIGNMENT, message: invalid };
  const registration = startReassignment(p, target);
  return registration ? { code: ErrorCode.NONE, registration } : { code: ErrorCode.NONE };
}
