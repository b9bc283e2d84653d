/**
 * Transaction markers for partitions led by other brokers (Kafka's
 * TransactionMarkerChannelManager, reduced): one connection per destination broker, one
 * WriteTxnMarkers request per destination and round. The coordinator's writeMarkers routes each
 * partition by the current image: led here, written locally; led elsewhere, sent there; a
 * retriable answer (the leader moved, not enough replicas, a lost connection) is routed again
 * by the image of the next round, until every marker is written or the deadline passes.
 */
import { Connection } from '../client/connection.js';
import { WriteTxnMarkers } from '../protocol/generated/apis/27-write-txn-markers.js';
import { AddPartitionsToTxn, type AddPartitionsToTxnResponse } from '../protocol/generated/apis/24-add-partitions-to-txn.js';
import type { TopicPartition } from '../coordinators/transaction/coordinator.js';
import type { Logger } from '../util/logger.js';
import { ErrorCode } from './errors.js';

/** Answers after which a marker is routed and sent again (Kafka's TransactionMarkerRequestCompletionHandler). */
export const RETRIABLE_MARKER_ERRORS: ReadonlySet<number> = new Set<number>([
  ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.LEADER_NOT_AVAILABLE,
  ErrorCode.NOT_ENOUGH_REPLICAS,
  ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND,
  ErrorCode.REQUEST_TIMED_OUT,
  ErrorCode.KAFKA_STORAGE_ERROR,
  ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
  ErrorCode.NETWORK_EXCEPTION,
]);

export interface MarkerSpec {
  producerId: bigint;
  producerEpoch: number;
  commit: boolean;
  coordinatorEpoch: number;
}

/** Sends markers to another broker: an error code per partition, in the order given. */
export type MarkerSender = (brokerId: number, marker: MarkerSpec, partitions: readonly TopicPartition[]) => Promise<number[]>;

export interface MarkerRouting {
  /** The partition's leader in the current image (-1: none; undefined: the topic is gone). */
  leaderOf(tp: TopicPartition): number | undefined;
  localBrokerId: number;
  writeLocal(marker: MarkerSpec, tp: TopicPartition): Promise<number>;
  send: MarkerSender;
  sleep(ms: number): Promise<void>;
  now(): number;
  /** True once the coordinator stops: what is left is not retried. */
  stopped(): boolean;
  logger: Logger;
}

export const MARKER_RETRY_BACKOFF_MS = 100;
/** How long markers are retried before EndTxn gives up (the shard then retries a recovered transaction itself). */
export const MARKER_DEADLINE_MS = 30_000;

/** Writes one marker per partition wherever its leader is; resolves once all are written, else returns the last error. */
export async function routeTxnMarkers(r: MarkerRouting, marker: MarkerSpec, partitions: readonly TopicPartition[], deadlineMs = MARKER_DEADLINE_MS): Promise<number> {
  const deadline = r.now() + deadlineMs;
  let pending = [...partitions];
  let lastError: number = ErrorCode.NONE;
  for (;;) {
    const byLeader = new Map<number, TopicPartition[]>();
    const retry: TopicPartition[] = [];
    for (const tp of pending) {
      const leader = r.leaderOf(tp);
      // A deleted partition is skipped, as Kafka does.
      if (leader === undefined) continue;
      if (leader < 0) {
        retry.push(tp);
        lastError = ErrorCode.LEADER_NOT_AVAILABLE;
        continue;
      }
      byLeader.set(leader, [...(byLeader.get(leader) ?? []), tp]);
    }
    const rounds = [...byLeader].map(async ([leader, tps]): Promise<number[]> => {
      if (leader === r.localBrokerId) return Promise.all(tps.map((tp) => r.writeLocal(marker, tp)));
      try {
        return await r.send(leader, marker, tps);
      } catch (e) {
        r.logger.debug('sending transaction markers failed', { broker: leader, error: e });
        return tps.map(() => ErrorCode.NETWORK_EXCEPTION);
      }
    });
    const answers = await Promise.all(rounds);
    [...byLeader].forEach(([leader, tps], i) => {
      tps.forEach((tp, j) => {
        const code = answers[i]![j] ?? ErrorCode.UNKNOWN_SERVER_ERROR;
        if (code === ErrorCode.NONE || code === ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT) return;
        // A local storage failure is EndTxn's answer at once, as it has always been on one node.
        const local = leader === r.localBrokerId && code === ErrorCode.KAFKA_STORAGE_ERROR;
        if (local || !RETRIABLE_MARKER_ERRORS.has(code)) throw new MarkerError(code, tp);
        lastError = code;
        retry.push(tp);
      });
    });
    if (retry.length === 0) return ErrorCode.NONE;
    if (r.now() >= deadline || r.stopped()) return lastError;
    pending = retry;
    await r.sleep(MARKER_RETRY_BACKOFF_MS);
  }
}

/** A marker refused for good (a fenced producer or coordinator, a broken request). */
export class MarkerError extends Error {
  override readonly name = 'MarkerError';
  constructor(
    readonly code: number,
    readonly tp: TopicPartition,
  ) {
    super(`transaction marker for ${tp.topic}-${tp.partition} refused (${code})`);
  }
}

function byTopic(partitions: readonly TopicPartition[]): [string, number[]][] {
  const topics = new Map<string, number[]>();
  for (const tp of partitions) topics.set(tp.topic, [...(topics.get(tp.topic) ?? []), tp.partition]);
  return [...topics];
}

/** One connection per destination broker, opened on first use and again after it closed. */
export class TxnMarkerChannel {
  private readonly connections = new Map<number, Promise<Connection>>();
  private closed = false;

  constructor(
    private readonly localBrokerId: number,
    private readonly endpoint: (brokerId: number) => { host: string; port: number } | undefined,
  ) {}

  readonly send: MarkerSender = async (brokerId, marker, partitions) => {
    const conn = await this.connection(brokerId);
    const res = await conn.request(WriteTxnMarkers, {
      markers: [{ producerId: marker.producerId, producerEpoch: marker.producerEpoch, transactionResult: marker.commit, coordinatorEpoch: marker.coordinatorEpoch, topics: byTopic(partitions).map(([name, partitionIndexes]) => ({ name, partitionIndexes })) }],
    });
    const codes = new Map<string, number>();
    for (const m of res.markers) for (const t of m.topics) for (const p of t.partitions) codes.set(`${t.name}\u0000${p.partitionIndex}`, p.errorCode);
    return partitions.map((tp) => codes.get(`${tp.topic}\u0000${tp.partition}`) ?? ErrorCode.UNKNOWN_SERVER_ERROR);
  };

  get isClosed(): boolean {
    return this.closed;
  }

  close(): void {
    this.closed = true;
    for (const c of this.connections.values()) c.then((conn) => conn.close(), () => undefined);
    this.connections.clear();
  }

  /** KIP-890 verification asked of the broker coordinating the id (AddPartitionsToTxn v4+, verifyOnly): an error code by partition. */
  async verify(brokerId: number, transactionalId: string, producerId: bigint, producerEpoch: number, partitions: readonly TopicPartition[]): Promise<Map<string, number>> {
    const key = (topic: string, partition: number) => `${topic}\u0000${partition}`;
    const all = (code: number) => new Map(partitions.map((tp) => [key(tp.topic, tp.partition), code]));
    let res: AddPartitionsToTxnResponse;
    try {
      const conn = await this.connection(brokerId);
      res = await conn.request(AddPartitionsToTxn, { transactions: [{ transactionalId, producerId, producerEpoch, verifyOnly: true, topics: byTopic(partitions).map(([name, ps]) => ({ name, partitions: ps })) }], v3AndBelowTransactionalId: '', v3AndBelowProducerId: 0n, v3AndBelowProducerEpoch: 0, v3AndBelowTopics: [] });
    } catch {
      return all(ErrorCode.NETWORK_EXCEPTION);
    }
    if (res.errorCode !== ErrorCode.NONE) return all(res.errorCode);
    const codes = all(ErrorCode.UNKNOWN_SERVER_ERROR);
    for (const t of res.resultsByTransaction) for (const r of t.topicResults) for (const p of r.resultsByPartition) codes.set(key(r.name, p.partitionIndex), p.partitionErrorCode);
    return codes;
  }

  private connection(brokerId: number): Promise<Connection> {
    if (this.closed) return Promise.reject(new Error('the marker channel is closed'));
    let conn = this.connections.get(brokerId);
    if (!conn) {
      const at = this.endpoint(brokerId);
      if (!at) return Promise.reject(new Error(`broker ${brokerId} is not registered`));
      conn = Connection.connect({ host: at.host, port: at.port, clientId: `samsa-txn-markers-${this.localBrokerId}`, requestTimeoutMs: 30_000 });
      this.connections.set(brokerId, conn);
      conn.then(
        (c) => (c.onClose = () => this.forget(brokerId, conn!)),
        () => this.forget(brokerId, conn!),
      );
    }
    return conn;
  }

  private forget(brokerId: number, conn: Promise<Connection>): void {
    if (this.connections.get(brokerId) === conn) this.connections.delete(brokerId);
  }
}
