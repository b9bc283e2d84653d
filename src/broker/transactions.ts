/**
 * The transaction coordinator wired to this broker: producer ids from `producer-id-block` in
 * the first log dir, `__transaction_state` created on first use (internal, compacted,
 * transaction.state.log.num.partitions partitions), markers written through each partition's
 * append path (and, for `__consumer_offsets`, handed to the group coordinator).
 */
import { OFFSETS_TOPIC } from '../coordinators/group/index.js';
import { ProducerIdManager } from '../coordinators/transaction/producer-ids.js';
import { TRANSACTION_STATE_TOPIC, TransactionCoordinator, type TopicPartition } from '../coordinators/transaction/coordinator.js';
import { ProducerStateError } from '../storage/producer-state.js';
import type { BrokerContext } from './context.js';
import { ErrorCode, KafkaError } from './errors.js';
import { internalTopicLeaderEpoch, internalTopicLog } from './internal-topic-log.js';
import { toErrorCode } from './storage-errors.js';

export function createTransactionCoordinator(broker: BrokerContext): TransactionCoordinator {
  const c = broker.config;
  const producerIds = new ProducerIdManager(c.logDirs()[0]!);
  const stateLog = (index: number) => internalTopicLog(broker, TRANSACTION_STATE_TOPIC, index);
  return new TransactionCoordinator({
    logger: broker.logger.child({ component: 'transaction-coordinator' }),
    numPartitions: c.int('transaction.state.log.num.partitions'),
    maxTimeoutMs: c.int('transaction.max.timeout.ms'),
    abortCheckIntervalMs: c.int('transaction.abort.timed.out.transaction.cleanup.interval.ms'),
    transactionalIdExpirationMs: c.int('transactional.id.expiration.ms'),
    topic: {
      partitions: () => broker.metadata.topic(TRANSACTION_STATE_TOPIC)?.partitions.length,
      async create(partitions) {
        const configs = { 'cleanup.policy': 'compact', 'compression.type': 'uncompressed', 'segment.bytes': String(c.int('transaction.state.log.segment.bytes')) };
        try {
          await broker.topics.create(TRANSACTION_STATE_TOPIC, partitions, 1, configs);
        } catch (e) {
          if (!(e instanceof KafkaError && e.code === ErrorCode.TOPIC_ALREADY_EXISTS)) throw e;
        }
      },
      log: stateLog,
      leaderEpoch: (index) => internalTopicLeaderEpoch(broker, TRANSACTION_STATE_TOPIC, index),
    },
    generateProducerId: () => producerIds.generate(),
    writeMarkers: (producerId, producerEpoch, commit, partitions, coordinatorEpoch) => writeTxnMarkers(broker, producerId, producerEpoch, commit, partitions, coordinatorEpoch),
    partitionExists: (topic, partition) => broker.replicas.partition(topic, partition) !== undefined,
    errorCode: toErrorCode,
  });
}

/** Writes one marker per partition (side by side); throws the first failure. */
export async function writeTxnMarkers(broker: BrokerContext, producerId: bigint, producerEpoch: number, commit: boolean, partitions: TopicPartition[], coordinatorEpoch: number): Promise<void> {
  const results = await Promise.all(partitions.map((tp) => writeTxnMarker(broker, producerId, producerEpoch, commit, tp, coordinatorEpoch)));
  const failed = results.find((code) => code !== ErrorCode.NONE);
  if (failed !== undefined) throw new KafkaError(failed, `writing transaction markers failed (${failed})`);
}

/** One marker; returns Kafka's error code. A partition deleted meanwhile is skipped (Kafka does too). */
export async function writeTxnMarker(broker: BrokerContext, producerId: bigint, producerEpoch: number, commit: boolean, tp: TopicPartition, coordinatorEpoch: number): Promise<number> {
  const p = broker.replicas.partition(tp.topic, tp.partition);
  if (!p) return ErrorCode.NONE;
  try {
    await p.appendTxnMarker(producerId, producerEpoch, coordinatorEpoch, commit);
    if (tp.topic === OFFSETS_TOPIC) await broker.groups.completeTransaction(tp.partition, producerId, commit);
    return ErrorCode.NONE;
  } catch (e) {
    if (e instanceof ProducerStateError) return e.code;
    broker.logger.warn('transaction marker failed', { partition: p.name, error: e });
    return toErrorCode(e);
  }
}
