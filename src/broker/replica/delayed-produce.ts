/**
 * Kafka's DelayedProduce: an acks=all produce waits until every partition it appended to has its
 * high watermark at its last offset + 1 (the ISR has the records), then answers; what is still
 * short when the request's timeoutMs passes answers REQUEST_TIMED_OUT. Woken by high-watermark
 * moves: a local append, a follower's fetch. An ISR smaller than min.insync.replicas by then
 * answers NOT_ENOUGH_REPLICAS_AFTER_APPEND (the records stay).
 */
import { ErrorCode } from '../errors.js';
import type { Partition } from './partition.js';
import { DelayedOperation } from './purgatory.js';

export interface ProducePartitionStatus {
  partition: Partition;
  /** The last appended offset + 1: the high watermark must reach it. */
  requiredOffset: bigint;
  acksPending: boolean;
  /** NONE once satisfied; REQUEST_TIMED_OUT while pending. */
  errorCode: number;
}

export class DelayedProduce extends DelayedOperation {
  constructor(
    delayMs: number,
    readonly statuses: readonly ProducePartitionStatus[],
    private readonly respond: (statuses: readonly ProducePartitionStatus[]) => void,
  ) {
    super(delayMs);
    for (const s of statuses) if (s.acksPending) s.errorCode = ErrorCode.REQUEST_TIMED_OUT;
  }

  tryComplete(): boolean {
    for (const s of this.statuses) {
      if (!s.acksPending) continue;
      const { reached, errorCode } = s.partition.checkEnoughReplicasReachOffset(s.requiredOffset);
      if (!reached) continue;
      s.acksPending = false;
      s.errorCode = errorCode;
    }
    return this.statuses.every((s) => !s.acksPending) ? this.forceComplete() : false;
  }

  protected onComplete(): void {
    this.respond(this.statuses);
  }
}
