/**
 * The transaction coordinator wired to this broker: producer ids from `producer-id-block` in
 * the first log dir, `__transaction_state` created on first use (internal, compacted,
 * transaction.state.log.num.partitions partitions, transaction.state.log.replication.factor
 * capped at the registered brokers, min.insync.replicas transaction.state.log.min.isr), markers
 * written through each partition's leader: here, or by WriteTxnMarkers to the broker leading
 * it (and, for `__consumer_offsets`, handed to the group coordinator where it is written).
 */
import { OFFSETS_TOPIC } from '../coordinators/group/index.js';
import { partitionForKey } from '../coordinators/runtime/partitioning.js';
import { ProducerIdManager } from '../coordinators/transaction/producer-ids.js';
import { TRANSACTION_STATE_TOPIC, TransactionCoordinator, type TopicPartition } from '../coordinators/transaction/coordinator.js';
import { ProducerStateError } from '../storage/producer-state.js';
import { SYSTEM_TIME } from '../util/time.js';
import type { BrokerContext } from './context.js';
import { ErrorCode, KafkaError } from './errors.js';
import { awaitReplication, createInternalTopic, internalTopicLeaderEpoch, internalTopicLog } from './internal-topic-log.js';
import { toErrorCode } from './storage-errors.js';
import { MarkerError, routeTxnMarkers, TxnMarkerChannel, type MarkerSpec } from './txn-marker-channel.js';

/** `allocateProducerIdBlock`: the cluster's producer id blocks (etcd), when there is a cluster. */
export function createTransactionCoordinator(broker: BrokerContext, allocateProducerIdBlock?: (size: bigint, atLeast: bigint) => Promise<bigint>): TransactionCoordinator {
  const c = broker.config;
  const producerIds = new ProducerIdManager(c.logDirs()[0]!, undefined, allocateProducerIdBlock);
  const stateLog = (index: number) => internalTopicLog(broker, TRANSACTION_STATE_TOPIC, index);
  // The inter-broker listener: a broker's first endpoint, as the replica fetchers reach it.
  const channel = new TxnMarkerChannel(broker.nodeId, (id) => broker.metadata.endpoint(id, ''));
  return new TransactionCoordinator({
    logger: broker.logger.child({ component: 'transaction-coordinator' }),
    numPartitions: c.int('transaction.state.log.num.partitions'),
    maxTimeoutMs: c.int('transaction.max.timeout.ms'),
    abortCheckIntervalMs: c.int('transaction.abort.timed.out.transaction.cleanup.interval.ms'),
    transactionalIdExpirationMs: c.int('transactional.id.expiration.ms'),
    topic: {
      partitions: () => broker.metadata.topic(TRANSACTION_STATE_TOPIC)?.partitions.length,
      create(partitions) {
        const configs = {
          'cleanup.policy': 'compact',
          'compression.type': 'uncompressed',
          'min.insync.replicas': String(c.int('transaction.state.log.min.isr')),
          'segment.bytes': String(c.int('transaction.state.log.segment.bytes')),
        };
        return createInternalTopic(broker, TRANSACTION_STATE_TOPIC, partitions, 'transaction.state.log.replication.factor', configs);
      },
      log: stateLog,
      leaderEpoch: (index) => internalTopicLeaderEpoch(broker, TRANSACTION_STATE_TOPIC, index),
    },
    generateProducerId: () => producerIds.generate(),
    writeMarkers: (producerId, producerEpoch, commit, partitions, coordinatorEpoch) => writeTxnMarkers(broker, channel, { producerId, producerEpoch, commit, coordinatorEpoch }, partitions),
    partitionExists: (topic, partition) => broker.metadata.partition(topic, partition) !== undefined,
    errorCode: toErrorCode,
    verifyElsewhere: (transactionalId, producerId, producerEpoch, partitions) => {
      const topic = broker.metadata.topic(TRANSACTION_STATE_TOPIC);
      const leader = topic?.partitions[partitionForKey(transactionalId, topic.partitions.length)]?.leader ?? -1;
      if (leader < 0 || leader === broker.nodeId) return undefined;
      return channel.verify(leader, transactionalId, producerId, producerEpoch, partitions);
    },
    onShutdown: () => channel.close(),
  });
}

/** Writes one marker per partition at its leader (side by side); throws the first failure. */
export async function writeTxnMarkers(broker: BrokerContext, channel: TxnMarkerChannel, marker: MarkerSpec, partitions: TopicPartition[]): Promise<void> {
  let code: number;
  try {
    code = await routeTxnMarkers(
      {
        leaderOf: (tp) => broker.metadata.partition(tp.topic, tp.partition)?.leader,
        localBrokerId: broker.nodeId,
        writeLocal: (m, tp) => writeTxnMarker(broker, m.producerId, m.producerEpoch, m.commit, tp, m.coordinatorEpoch),
        send: channel.send,
        sleep: (ms) => new Promise((resolve) => SYSTEM_TIME.setTimeout(resolve, ms)),
        now: () => SYSTEM_TIME.now(),
        stopped: () => channel.isClosed,
        logger: broker.logger,
      },
      marker,
      partitions,
    );
  } catch (e) {
    if (e instanceof MarkerError) code = e.code;
    else throw e;
  }
  if (code !== ErrorCode.NONE) throw new KafkaError(code, `writing transaction markers failed (${code})`);
}

/**
 * One marker written here as the partition's leader, once the ISR has it (Kafka appends markers
 * with acks=all); returns Kafka's error code. A partition deleted meanwhile is skipped (Kafka
 * does too); one this node does not lead answers NOT_LEADER_OR_FOLLOWER.
 */
export async function writeTxnMarker(broker: BrokerContext, producerId: bigint, producerEpoch: number, commit: boolean, tp: TopicPartition, coordinatorEpoch: number): Promise<number> {
  const p = broker.replicas.partition(tp.topic, tp.partition);
  if (!p) return ErrorCode.NONE;
  if (!p.isLeader) return ErrorCode.NOT_LEADER_OR_FOLLOWER;
  try {
    const info = await p.appendTxnMarker(producerId, producerEpoch, coordinatorEpoch, commit);
    await awaitReplication(broker, p, info.lastOffset + 1n);
    if (tp.topic === OFFSETS_TOPIC) await broker.groups.completeTransaction(tp.partition, producerId, commit);
    return ErrorCode.NONE;
  } catch (e) {
    if (e instanceof ProducerStateError) return e.code;
    if (!(e instanceof KafkaError)) broker.logger.warn('transaction marker failed', { partition: p.name, error: e });
    return toErrorCode(e);
  }
}
