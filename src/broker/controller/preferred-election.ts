/**
 * Leader elections an operator asks for (Kafka's ElectLeaders, as KRaft's
 * ReplicationControlManager.electLeader decides them): PREFERRED moves leadership to the first
 * replica when it is alive and in the ISR; UNCLEAN gives a leaderless partition a leader, a live
 * ISR member if there is one, else any live replica (which becomes the whole ISR: records only
 * the old leader had are lost, which is what the operator asked for). The leader epoch and the
 * partition epoch are bumped as on every leader change.
 */
import { ErrorCode, KafkaError } from '../errors.js';
import type { MetadataImage, PartitionRegistration } from '../metadata/image.js';

export const ElectionType = { PREFERRED: 0, UNCLEAN: 1 } as const;

/** The registration of `p` after the election of `type` among the brokers in `live`; throws the KafkaError Kafka answers for the partition. */
export function electedRegistration(p: PartitionRegistration, live: ReadonlySet<number>, type: number, name: string): PartitionRegistration {
  const lead = (leader: number, isr: readonly number[]): PartitionRegistration => ({ ...p, leader, isr: [...isr], leaderEpoch: p.leaderEpoch + 1, partitionEpoch: p.partitionEpoch + 1 });
  if (type === ElectionType.PREFERRED) {
    const preferred = p.replicas[0];
    if (preferred === undefined) throw new KafkaError(ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE, `Partition ${name} has no replicas.`);
    if (p.leader === preferred) throw new KafkaError(ErrorCode.ELECTION_NOT_NEEDED, `Leader election not needed for topic partition ${name}.`);
    if (!live.has(preferred) || !p.isr.includes(preferred)) {
      throw new KafkaError(ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE, `Failed to elect leader for partition ${name} under strategy PreferredReplicaPartitionLeaderElectionStrategy: the preferred replica ${preferred} is not alive or not in the ISR.`);
    }
    return lead(preferred, p.isr);
  }
  if (type === ElectionType.UNCLEAN) {
    // Kafka elects only a partition whose leader is gone; a live leader is left alone.
    if (p.leader !== -1 && live.has(p.leader)) throw new KafkaError(ErrorCode.ELECTION_NOT_NEEDED, `Leader election not needed for topic partition ${name}.`);
    const inSync = p.isr.find((id) => live.has(id));
    if (inSync !== undefined) return lead(inSync, p.isr.filter((id) => live.has(id)));
    const any = p.replicas.find((id) => live.has(id));
    if (any === undefined) throw new KafkaError(ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE, `Failed to elect leader for partition ${name} under strategy UncleanLeaderElectionStrategy: no replica is alive.`);
    return lead(any, [any]);
  }
  throw new KafkaError(ErrorCode.INVALID_REQUEST, `Unknown election type ${type}.`);
}

export interface PreferredMove {
  readonly topic: string;
  readonly index: number;
  readonly registration: PartitionRegistration;
}

/**
 * auto.leader.rebalance.enable's periodic pass (as KRaft's controller does it, with no
 * per-broker percentage): every partition whose preferred replica (the first) is alive and in
 * the ISR but does not lead gets a preferred election; a broker in controlled shutdown is not alive for this.
 */
export function rebalanceMoves(image: MetadataImage): PreferredMove[] {
  const live = new Set(image.usableBrokers().map((b) => b.id));
  const moves: PreferredMove[] = [];
  for (const t of image.topics.values()) {
    t.partitions.forEach((p, index) => {
      const preferred = p.replicas[0];
      if (preferred === undefined || p.leader === preferred || !live.has(preferred) || !p.isr.includes(preferred)) return;
      moves.push({ topic: t.name, index, registration: electedRegistration(p, live, ElectionType.PREFERRED, `${t.name}-${index}`) });
    });
  }
  return moves;
}
