// Produce (key 0), v0-11. v0-2 may carry legacy message sets (magic 0/1), converted to one
// magic-2 batch as Kafka's LogValidator does; v3+ must carry exactly one magic-2 batch per
// partition; zstd needs v7+ (KIP-110). acks=0 gets no response at all. The handler checks what
// concerns the whole request (acks, transactional records without a transactional id) and hands
// the partitions to the replica manager, which validates (replica/log-validator.ts), appends
// and waits for the acks asked (replica/delayed-produce.ts).
import { Produce, type ProduceRequest, type ProduceResponse } from '../../protocol/generated/apis/0-produce.js';
import { ATTRIBUTES, MAGIC, RECORD_BATCH_OVERHEAD, TRANSACTIONAL_FLAG } from '../../protocol/records/index.js';
import type { BrokerContext } from '../context.js';
import { ErrorCode } from '../errors.js';
import type { ApiHandler } from '../handler.js';
import type { AppendPartitionResult } from '../replica/replica-manager.js';
import { LeaderHints, PRODUCE_HINTED } from './leader-hints.js';

export { verificationError } from '../replica/append-records.js';

type PartitionResponse = ProduceResponse.PartitionProduceResponse;

/**
 * A partition named more than once in one request: Kafka keeps the last records for it (its
 * request becomes a map by partition), so only those are appended and answered.
 */
function lastOfEachPartition(topics: ProduceRequest.TopicProduceData[]): ProduceRequest.TopicProduceData[] {
  const byTopic = new Map<string, Map<number, ProduceRequest.PartitionProduceData>>();
  let duplicates = false;
  for (const t of topics) {
    let parts = byTopic.get(t.name);
    if (parts) duplicates = true;
    else byTopic.set(t.name, (parts = new Map()));
    for (const p of t.partitionData) {
      if (parts.has(p.index)) duplicates = true;
      parts.set(p.index, p);
    }
  }
  if (!duplicates) return topics;
  return [...byTopic].map(([name, parts]) => ({ name, partitionData: [...parts.values()] }));
}

/** Whether the first batch of a partition's records is transactional (Kafka's ProduceRequest.hasTransactionalRecords). */
function isTransactionalBatch(records: Buffer | null): boolean {
  return records !== null && records.length >= RECORD_BATCH_OVERHEAD && records.readInt8(MAGIC) === 2 && (records.readInt16BE(ATTRIBUTES) & TRANSACTIONAL_FLAG) !== 0;
}

export function produceHandler(broker: BrokerContext): ApiHandler<ProduceRequest, ProduceResponse> {
  const response = (index: number, errorCode: number, errorMessage: string | null = null, recordErrors: ProduceResponse.BatchIndexAndErrorMessage[] = [], logStartOffset = -1n): PartitionResponse => ({
    index,
    errorCode,
    baseOffset: -1n,
    logAppendTimeMs: -1n,
    logStartOffset,
    recordErrors,
    errorMessage,
    currentLeader: { leaderId: -1, leaderEpoch: -1 },
  });

  const answer = (r: AppendPartitionResult, hints: LeaderHints | undefined): PartitionResponse => ({
    ...response(r.partition, r.errorCode, r.errorMessage, r.recordErrors, r.logStartOffset),
    baseOffset: r.baseOffset,
    logAppendTimeMs: r.logAppendTimeMs,
    currentLeader: hints ? hints.currentLeader(r.topic, r.partition, r.errorCode) : { leaderId: -1, leaderEpoch: -1 },
  });

  return {
    api: Produce,
    minVersion: 0,
    maxVersion: 11,
    async handle(req, ctx) {
      const v = ctx.apiVersion;
      const acksValid = req.acks === 0 || req.acks === 1 || req.acks === -1;
      const topicData = lastOfEachPartition(req.topicData);
      // KafkaApis: transactional records need a transactional id (authorised for WRITE).
      if (req.transactionalId === null && topicData.some((t) => t.partitionData.some((p) => isTransactionalBatch(p.records)))) {
        if (req.acks === 0) {
          ctx.closeConnection?.();
          return null;
        }
        const responses = topicData.map((t) => ({ name: t.name, partitionResponses: t.partitionData.map((p) => response(p.index, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED)) }));
        return { responses, throttleTimeMs: 0, nodeEndpoints: [] };
      }
      let responses: ProduceResponse.TopicProduceResponse[];
      // v10+ (KIP-951): where the leader is, for a partition this node does not lead.
      const hints = v >= 10 ? new LeaderHints(broker.metadata, ctx.listenerName, broker.nodeId, PRODUCE_HINTED) : undefined;
      if (!acksValid) {
        responses = topicData.map((t) => ({ name: t.name, partitionResponses: t.partitionData.map((p) => response(p.index, ErrorCode.INVALID_REQUIRED_ACKS)) }));
      } else {
        const entries = topicData.flatMap((t) => t.partitionData.map((p) => ({ topic: t.name, partition: p.index, records: p.records })));
        const results = await broker.replicas.appendRecords({ requiredAcks: req.acks, timeoutMs: req.timeoutMs, apiVersion: v, transactionalId: v >= 3 ? req.transactionalId : null, entries });
        let i = 0;
        responses = topicData.map((t) => ({ name: t.name, partitionResponses: t.partitionData.map(() => answer(results[i++]!, hints)) }));
      }
      // acks=0: the client reads no response; on any error Kafka closes the connection instead.
      if (req.acks === 0) {
        if (responses.some((t) => t.partitionResponses.some((p) => p.errorCode !== ErrorCode.NONE))) ctx.closeConnection?.();
        return null;
      }
      return { responses, throttleTimeMs: 0, nodeEndpoints: hints?.nodeEndpoints() ?? [] };
    },
  };
}
