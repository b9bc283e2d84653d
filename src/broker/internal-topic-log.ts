import type { CoordinatorLog } from '../coordinators/runtime/index.js';
import type { BrokerContext } from './context.js';

/**
 * A coordinator's view of one partition of its internal topic (`__consumer_offsets`,
 * `__transaction_state`): appends go through the leader path (synced in durable mode) and
 * loading reads up to the log end. Undefined while the partition is not hosted here.
 */
export function internalTopicLog(broker: BrokerContext, topic: string, index: number): CoordinatorLog | undefined {
  const partition = broker.replicas.partition(topic, index);
  if (!partition) return undefined;
  return {
    async append(batch) {
      await partition.appendAsLeader(batch);
    },
    startOffset: () => partition.logStartOffset,
    read: (offset, maxBytes) => partition.log.readRecords(offset, maxBytes, partition.logEndOffset, true),
  };
}

/** The coordinator epoch of a load: the partition's leader epoch (0 on one node). */
export function internalTopicLeaderEpoch(broker: BrokerContext, topic: string, index: number): number {
  return broker.replicas.partition(topic, index)?.leaderEpoch ?? 0;
}
