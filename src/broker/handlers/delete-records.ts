// DeleteRecords (key 21), v0-2 (v2 flexible): moves each partition's log start offset (its "low
// watermark") up to the given offset, -1 meaning the high watermark; whole segments below it are
// deleted in the background (file.delete.delay.ms). As Kafka: an offset beyond the high watermark
// (or negative other than -1) gets OFFSET_OUT_OF_RANGE, internal topics INVALID_TOPIC_EXCEPTION,
// topics without cleanup.policy=delete POLICY_VIOLATION. Consumers that then fetch below the new
// start get OFFSET_OUT_OF_RANGE and reset per their auto.offset.reset.
import { DeleteRecords, type DeleteRecordsRequest, type DeleteRecordsResponse } from '../../protocol/generated/apis/21-delete-records.js';
import type { BrokerContext } from '../context.js';
import { ErrorCode } from '../errors.js';
import type { ApiHandler } from '../handler.js';

type PartitionResult = DeleteRecordsResponse.DeleteRecordsPartitionResult;

export function deleteRecordsHandler(broker: BrokerContext): ApiHandler<DeleteRecordsRequest, DeleteRecordsResponse> {
  async function one(topic: string, p: DeleteRecordsRequest.DeleteRecordsPartition): Promise<PartitionResult> {
    const { errorCode, lowWatermark } = await broker.replicas.deleteRecords(topic, p.partitionIndex, p.offset);
    return { partitionIndex: p.partitionIndex, lowWatermark, errorCode };
  }

  return {
    api: DeleteRecords,
    minVersion: 0,
    maxVersion: 2,
    async handle(req) {
      // A partition named twice: the last offset counts, answered once (Kafka's request becomes a map by partition).
      const byTopic = new Map<string, Map<number, DeleteRecordsRequest.DeleteRecordsPartition>>();
      for (const t of req.topics) {
        let parts = byTopic.get(t.name);
        if (!parts) byTopic.set(t.name, (parts = new Map()));
        for (const p of t.partitions) parts.set(p.partitionIndex, p);
      }
      const topics = await Promise.all(
        [...byTopic].map(async ([name, parts]) => ({ name, partitions: await Promise.all([...parts.values()].map((p) => one(name, p))) })),
      );
      return { throttleTimeMs: 0, topics };
    },
  };
}
