/**
 * The read half of a fetch (Kafka's ReplicaManager.readFromLog): for each partition, check the
 * leader epoch (and leadership, unless a KIP-392 consumer may read a follower), send a consumer
 * to its preferred read replica instead, check the fetcher's last fetched epoch, locate whole
 * batches up to the isolation level's bound (a follower: the log end offset) within the response's byte budget (KIP-74: the
 * first non-empty partition returns at least one batch), then read the located bytes.
 */
import { EMPTY_BUFFER } from '../../protocol/runtime/index.js';
import type { FileRange } from '../../storage/index.js';
import type { Logger } from '../../util/logger.js';
import { ErrorCode } from '../errors.js';
import { toErrorCode } from '../storage-errors.js';
import type { FetchIsolation, Partition } from './partition.js';

export interface FetchPartitionRequest {
  topic: string;
  partition: number;
  fetchOffset: bigint;
  partitionMaxBytes: number;
  currentLeaderEpoch: number;
  /** -1: not given (Fetch v11-). */
  lastFetchedEpoch: number;
  /** A follower's own log start offset (Fetch v5+); -1 or absent: not given. */
  logStartOffset?: bigint;
}

/** How a fetch's partitions are located: who may be answered, and where a consumer is sent instead. */
export interface LocateOptions {
  /** Kafka's fetchOnlyLeader: a follower's fetch, or a consumer's without client metadata (Fetch v10-). */
  requireLeader: boolean;
  /** KIP-392: the replica a consumer should read this partition from instead of here (-1: here). */
  preferredReadReplica?: (partition: Partition, request: FetchPartitionRequest) => number;
  /** KIP-73: a follower's fetch of this partition is throttled now: its offsets, no records. */
  throttled?: (partition: Partition) => boolean;
}

/** A partition's located data; `ranges` are read once the fetch is to be answered. */
export interface LocatedRead {
  request: FetchPartitionRequest;
  partition: Partition | undefined;
  errorCode: number;
  highWatermark: bigint;
  lastStableOffset: bigint;
  logStartOffset: bigint;
  /** The leader's log end offset at the read (a follower's caught-up check). */
  logEndOffset: bigint;
  ranges: FileRange[];
  size: number;
  /** The fetcher's last fetched epoch ends before fetchOffset (or is older): where it ends, and no data. */
  diverging?: { epoch: number; endOffset: bigint };
  /** KIP-392: read from this replica instead (no data here); -1 none. */
  preferredReadReplica: number;
}

export interface Located {
  reads: LocatedRead[];
  bytes: number;
  /** An error, a divergence or a redirect to a preferred read replica: the fetch answers at once. */
  errors: boolean;
}

/** Finds where each partition's data is (no bytes read yet): cheap enough to redo after a wait. */
export async function locateAll(lookup: (topic: string, partition: number) => Partition | undefined, requests: readonly FetchPartitionRequest[], maxResponseBytes: number, isolation: FetchIsolation, logger: Logger, options: LocateOptions = { requireLeader: true }): Promise<Located> {
  const reads: LocatedRead[] = [];
  let bytes = 0;
  let errors = false;
  let minOneMessage = true;
  for (const request of requests) {
    const p = request.topic === '' ? undefined : lookup(request.topic, request.partition);
    const r: LocatedRead = { request, partition: p, errorCode: ErrorCode.NONE, highWatermark: -1n, lastStableOffset: -1n, logStartOffset: -1n, logEndOffset: -1n, ranges: [], size: 0, preferredReadReplica: -1 };
    reads.push(r);
    if (!p) {
      r.errorCode = request.topic === '' ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
      errors = true;
      continue;
    }
    r.highWatermark = p.highWatermark;
    r.lastStableOffset = p.lastStableOffset;
    r.logStartOffset = p.logStartOffset;
    r.logEndOffset = p.logEndOffset;
    const epochError = p.checkLeader(request.currentLeaderEpoch, options.requireLeader);
    if (epochError !== ErrorCode.NONE) {
      r.errorCode = epochError;
      errors = true;
      continue;
    }
    // Kafka's readFromLocalLog: a consumer sent to another replica gets the offsets, no records.
    const preferred = options.preferredReadReplica?.(p, request) ?? -1;
    if (preferred >= 0) {
      r.preferredReadReplica = preferred;
      errors = true; // answer now
      continue;
    }
    // As Kafka's Partition.readRecords: a last fetched epoch this log cannot place is out of
    // range; one that ends before fetchOffset (or is not ours) is answered with where it ends.
    if (request.lastFetchedEpoch >= 0) {
      const end = p.log.endOffsetForEpoch(request.lastFetchedEpoch);
      if (end.epoch < 0 || end.endOffset < 0n || request.fetchOffset < p.logStartOffset) {
        r.errorCode = ErrorCode.OFFSET_OUT_OF_RANGE;
        errors = true;
        continue;
      }
      if (end.epoch < request.lastFetchedEpoch || end.endOffset < request.fetchOffset) {
        r.diverging = { epoch: end.epoch, endOffset: end.endOffset };
        errors = true; // answer now
        continue;
      }
    }
    // Kafka's shouldLeaderThrottle: an empty answer; the follower asks again.
    if (options.throttled?.(p)) continue;
    const budget = Math.min(request.partitionMaxBytes, maxResponseBytes - bytes);
    if (budget <= 0 && !minOneMessage) continue;
    try {
      const info = await p.locateRecords(request.fetchOffset, Math.max(0, budget), isolation, minOneMessage);
      r.ranges = info.ranges;
      r.size = info.sizeInBytes;
      bytes += info.sizeInBytes;
      if (info.sizeInBytes > 0) minOneMessage = false;
    } catch (e) {
      r.errorCode = toErrorCode(e);
      errors = true;
      if (r.errorCode === ErrorCode.UNKNOWN_SERVER_ERROR) logger.error('fetch read failed', { partition: p.name, error: e });
    }
  }
  return { reads, bytes, errors };
}

/** Reads the located ranges into one buffer from `allocate` (magic-2 batches as stored): one copy, file to buffer. */
export async function readLocated(r: LocatedRead, allocate: (size: number) => Buffer = Buffer.allocUnsafe): Promise<Buffer> {
  if (r.ranges.length === 0) return EMPTY_BUFFER;
  const data = allocate(r.size);
  let at = 0;
  for (const range of r.ranges) {
    await range.readInto(data, at);
    at += range.size;
  }
  return data;
}
