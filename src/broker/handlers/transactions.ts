// The transaction APIs (KIP-98, KIP-360, KIP-447, KIP-664, KIP-890 part 1), over the
// transaction coordinator (src/coordinators/transaction) and, for TxnOffsetCommit, the group
// coordinator:
// InitProducerId (22) v0-5, AddPartitionsToTxn (24) v0-5 (v4+ batched, verifyOnly), AddOffsetsToTxn
// (25) v0-4, EndTxn (26) v0-4, WriteTxnMarkers (27) v0-1, TxnOffsetCommit (28) v0-4,
// DescribeProducers (61) v0, DescribeTransactions (65) v0, ListTransactions (66) v0-1.
// PRODUCER_FENCED is answered INVALID_PRODUCER_EPOCH to versions that predate it, as Kafka does.
import { InitProducerId, type InitProducerIdRequest, type InitProducerIdResponse } from '../../protocol/generated/apis/22-init-producer-id.js';
import { AddPartitionsToTxn, type AddPartitionsToTxnRequest, type AddPartitionsToTxnResponse } from '../../protocol/generated/apis/24-add-partitions-to-txn.js';
import { AddOffsetsToTxn, type AddOffsetsToTxnRequest, type AddOffsetsToTxnResponse } from '../../protocol/generated/apis/25-add-offsets-to-txn.js';
import { EndTxn, type EndTxnRequest, type EndTxnResponse } from '../../protocol/generated/apis/26-end-txn.js';
import { WriteTxnMarkers, type WriteTxnMarkersRequest, type WriteTxnMarkersResponse } from '../../protocol/generated/apis/27-write-txn-markers.js';
import { TxnOffsetCommit, type TxnOffsetCommitRequest, type TxnOffsetCommitResponse } from '../../protocol/generated/apis/28-txn-offset-commit.js';
import { DescribeProducers, type DescribeProducersRequest, type DescribeProducersResponse } from '../../protocol/generated/apis/61-describe-producers.js';
import { DescribeTransactions, type DescribeTransactionsRequest, type DescribeTransactionsResponse } from '../../protocol/generated/apis/65-describe-transactions.js';
import { ListTransactions, type ListTransactionsRequest, type ListTransactionsResponse } from '../../protocol/generated/apis/66-list-transactions.js';
import { OFFSETS_TOPIC } from '../../coordinators/group/index.js';
import { INTERNAL_TOPICS } from '../metadata/names.js';
import { TXN_STATE_NAMES, type TopicPartition } from '../../coordinators/transaction/coordinator.js';
import type { BrokerContext } from '../context.js';
import { ErrorCode } from '../errors.js';
import type { ApiHandler } from '../handler.js';
import { writeTxnMarker } from '../transactions.js';
import { verificationError } from './produce.js';

const fenced = (code: number, version: number, since: number): number => (code === ErrorCode.PRODUCER_FENCED && version < since ? ErrorCode.INVALID_PRODUCER_EPOCH : code);
const tpKey = (topic: string, partition: number) => `${topic}\u0000${partition}`;

export function initProducerIdHandler(broker: BrokerContext): ApiHandler<InitProducerIdRequest, InitProducerIdResponse> {
  return {
    api: InitProducerId,
    minVersion: 0,
    maxVersion: 5,
    async handle(req, ctx) {
      const v = ctx.apiVersion;
      const expected = v >= 3 && req.producerId >= 0n ? { producerId: req.producerId, producerEpoch: req.producerEpoch } : undefined;
      const r = await broker.txn.initProducerId(req.transactionalId, req.transactionTimeoutMs, expected);
      return { throttleTimeMs: 0, errorCode: fenced(r.errorCode, v, 4), producerId: r.producerId, producerEpoch: r.producerEpoch };
    },
  };
}

export function addPartitionsToTxnHandler(broker: BrokerContext): ApiHandler<AddPartitionsToTxnRequest, AddPartitionsToTxnResponse> {
  const toList = (topics: AddPartitionsToTxnRequest.AddPartitionsToTxnTopic[]): TopicPartition[] => topics.flatMap((t) => t.partitions.map((partition) => ({ topic: t.name, partition })));
  const results = (topics: AddPartitionsToTxnRequest.AddPartitionsToTxnTopic[], codes: Map<string, number>, v: number): AddPartitionsToTxnResponse.AddPartitionsToTxnTopicResult[] =>
    topics.map((t) => ({ name: t.name, resultsByPartition: t.partitions.map((p) => ({ partitionIndex: p, partitionErrorCode: fenced(codes.get(tpKey(t.name, p)) ?? ErrorCode.UNKNOWN_SERVER_ERROR, v, 2) })) }));
  return {
    api: AddPartitionsToTxn,
    minVersion: 0,
    maxVersion: 5,
    async handle(req, ctx) {
      const v = ctx.apiVersion;
      // Internal topics cannot join a transaction this way (Kafka leaves them out of the topics
      // a client may write: TOPIC_AUTHORIZATION_FAILED), unknown ones are UNKNOWN_TOPIC_OR_PARTITION,
      // and then the others are OPERATION_NOT_ATTEMPTED.
      const refused = (list: TopicPartition[]): Map<string, number> | undefined => {
        if (!list.some((tp) => INTERNAL_TOPICS.has(tp.topic))) return undefined;
        const codes = new Map<string, number>();
        for (const tp of list) codes.set(tpKey(tp.topic, tp.partition), INTERNAL_TOPICS.has(tp.topic) ? ErrorCode.TOPIC_AUTHORIZATION_FAILED : !broker.metadata.partition(tp.topic, tp.partition) ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.OPERATION_NOT_ATTEMPTED);
        return codes;
      };
      if (v <= 3) {
        const list = toList(req.v3AndBelowTopics);
        const codes = refused(list) ?? (await broker.txn.addPartitions(req.v3AndBelowTransactionalId, req.v3AndBelowProducerId, req.v3AndBelowProducerEpoch, list));
        return { throttleTimeMs: 0, errorCode: 0, resultsByTransaction: [], resultsByTopicV3AndBelow: results(req.v3AndBelowTopics, codes, v) };
      }
      const resultsByTransaction = await Promise.all(
        req.transactions.map(async (t) => {
          const list = toList(t.topics);
          const codes = refused(list) ?? (t.verifyOnly
            ? await broker.txn.verifyPartitions(t.transactionalId, t.producerId, t.producerEpoch, list, true)
            : await broker.txn.addPartitions(t.transactionalId, t.producerId, t.producerEpoch, list));
          return { transactionalId: t.transactionalId, topicResults: results(t.topics, codes, v) };
        }),
      );
      return { throttleTimeMs: 0, errorCode: 0, resultsByTransaction, resultsByTopicV3AndBelow: [] };
    },
  };
}

export function addOffsetsToTxnHandler(broker: BrokerContext): ApiHandler<AddOffsetsToTxnRequest, AddOffsetsToTxnResponse> {
  return {
    api: AddOffsetsToTxn,
    minVersion: 0,
    maxVersion: 4,
    async handle(req, ctx) {
      // The group id is not validated (Kafka: the empty id has its partition like any other). The group's __consumer_offsets partition joins the transaction (created with the topic if needed).
      const code = await broker.groups.findCoordinator(req.groupId);
      if (code !== ErrorCode.NONE) return { throttleTimeMs: 0, errorCode: code };
      const partition = broker.groups.partitionFor(req.groupId);
      const codes = await broker.txn.addPartitions(req.transactionalId, req.producerId, req.producerEpoch, [{ topic: OFFSETS_TOPIC, partition }]);
      return { throttleTimeMs: 0, errorCode: fenced(codes.get(tpKey(OFFSETS_TOPIC, partition)) ?? ErrorCode.UNKNOWN_SERVER_ERROR, ctx.apiVersion, 2) };
    },
  };
}

export function endTxnHandler(broker: BrokerContext): ApiHandler<EndTxnRequest, EndTxnResponse> {
  return {
    api: EndTxn,
    minVersion: 0,
    maxVersion: 4,
    async handle(req, ctx) {
      const code = await broker.txn.endTxn(req.transactionalId, req.producerId, req.producerEpoch, req.committed);
      return { throttleTimeMs: 0, errorCode: fenced(code, ctx.apiVersion, 2) };
    },
  };
}

export function writeTxnMarkersHandler(broker: BrokerContext): ApiHandler<WriteTxnMarkersRequest, WriteTxnMarkersResponse> {
  return {
    api: WriteTxnMarkers,
    minVersion: 0,
    maxVersion: 1,
    async handle(req) {
      const markers = await Promise.all(
        req.markers.map(async (m) => ({
          producerId: m.producerId,
          topics: await Promise.all(
            m.topics.map(async (t) => ({
              name: t.name,
              partitions: await Promise.all(
                t.partitionIndexes.map(async (p) => ({
                  partitionIndex: p,
                  errorCode: broker.replicas.partition(t.name, p)
                    ? await writeTxnMarker(broker, m.producerId, m.producerEpoch, m.transactionResult, { topic: t.name, partition: p }, m.coordinatorEpoch)
                    : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
                })),
              ),
            })),
          ),
        })),
      );
      return { markers };
    },
  };
}

export function txnOffsetCommitHandler(broker: BrokerContext): ApiHandler<TxnOffsetCommitRequest, TxnOffsetCommitResponse> {
  return {
    api: TxnOffsetCommit,
    minVersion: 0,
    maxVersion: 4,
    async handle(req, ctx) {
      const v = ctx.apiVersion;
      const every = (errorCode: number): TxnOffsetCommitResponse => ({ throttleTimeMs: 0, topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) })) });
      // As Kafka's group coordinator, before anything else.
      if (req.groupId === '') return every(ErrorCode.INVALID_GROUP_ID);
      // KIP-890 part 1: the group's __consumer_offsets partition must be in the transaction
      // (AddOffsetsToTxn), as Kafka's group coordinator verifies before writing.
      const verified = (await broker.txn.verifyPartitions(req.transactionalId, req.producerId, req.producerEpoch, [{ topic: OFFSETS_TOPIC, partition: broker.groups.partitionFor(req.groupId) }])).values().next().value ?? ErrorCode.NONE;
      if (verified !== ErrorCode.NONE) return every(verificationError(verified, v >= 4, ErrorCode.INVALID_TXN_STATE));
      const r = await broker.groups.commitTxnOffsets(
        {
          groupId: req.groupId,
          generationId: v >= 3 ? req.generationId : -1,
          memberId: v >= 3 ? req.memberId : '',
          groupInstanceId: v >= 3 ? req.groupInstanceId : null,
          retentionTimeMs: -1n,
          apiVersion: v,
          topics: req.topics.map((t) => ({
            name: t.name,
            partitions: t.partitions.map((p) => ({
              partitionIndex: p.partitionIndex,
              committedOffset: p.committedOffset,
              committedLeaderEpoch: v >= 2 ? p.committedLeaderEpoch : -1,
              commitTimestamp: -1n,
              committedMetadata: p.committedMetadata,
            })),
          })),
        },
        req.producerId,
        req.producerEpoch,
      );
      return { throttleTimeMs: 0, topics: r.topics };
    },
  };
}

export function describeTransactionsHandler(broker: BrokerContext): ApiHandler<DescribeTransactionsRequest, DescribeTransactionsResponse> {
  return {
    api: DescribeTransactions,
    minVersion: 0,
    maxVersion: 0,
    async handle(req) {
      return { throttleTimeMs: 0, transactionStates: await broker.txn.describe(req.transactionalIds) };
    },
  };
}

export function listTransactionsHandler(broker: BrokerContext): ApiHandler<ListTransactionsRequest, ListTransactionsResponse> {
  return {
    api: ListTransactions,
    minVersion: 0,
    maxVersion: 1,
    handle(req, ctx) {
      const unknownStateFilters = req.stateFilters.filter((s) => !TXN_STATE_NAMES.includes(s));
      const r = broker.txn.list(req.stateFilters, req.producerIdFilters, ctx.apiVersion >= 1 ? req.durationFilter : -1n);
      return { throttleTimeMs: 0, errorCode: r.errorCode, unknownStateFilters, transactionStates: r.transactionStates };
    },
  };
}

export function describeProducersHandler(broker: BrokerContext): ApiHandler<DescribeProducersRequest, DescribeProducersResponse> {
  return {
    api: DescribeProducers,
    minVersion: 0,
    maxVersion: 0,
    handle(req) {
      return {
        throttleTimeMs: 0,
        topics: req.topics.map((t) => ({
          name: t.name,
          partitions: t.partitionIndexes.map((index) => {
            const p = broker.replicas.partition(t.name, index);
            if (!p) return { partitionIndex: index, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: null, activeProducers: [] };
            return {
              partitionIndex: index,
              errorCode: ErrorCode.NONE,
              errorMessage: null,
              activeProducers: [...p.producers.producers.values()].map((e) => ({
                producerId: e.producerId,
                producerEpoch: e.epoch,
                lastSequence: e.lastSeq,
                lastTimestamp: e.lastTimestamp,
                coordinatorEpoch: e.coordinatorEpoch,
                currentTxnStartOffset: e.currentTxnFirstOffset >= 0n ? e.currentTxnFirstOffset : -1n,
              })),
            };
          }),
        })),
      };
    },
  };
}
