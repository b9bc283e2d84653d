/**
 * Incremental fetch sessions (KIP-227). A client that opens a session (sessionId 0, epoch 0)
 * later sends only the partitions whose fetch position changed; the broker remembers the rest
 * and answers only partitions with news (records, a moved high watermark / log start, errors).
 */
import { randomInt } from 'node:crypto';
import { ErrorCode } from './errors.js';

/** Epoch -1 closes (or never opens) a session; 0 opens one. */
export const FINAL_EPOCH = -1;
export const INITIAL_EPOCH = 0;

/** Where a fetch reads one partition: what a request names, and what a session remembers. */
export interface FetchPosition {
  topic: string;
  topicId: string;
  partition: number;
  fetchOffset: bigint;
  partitionMaxBytes: number;
  currentLeaderEpoch: number;
  /** Fetch v12+: the epoch of the record before fetchOffset, to detect a diverged log (-1 / absent: none). */
  lastFetchedEpoch?: number;
  /** Fetch v5+: a follower's own log start offset (-1 / absent: not given). */
  logStartOffset?: bigint;
}

export interface SessionPartition extends FetchPosition {
  /** What the client was last told, to answer incrementally only what changed. */
  lastHighWatermark: bigint;
  lastLogStartOffset: bigint;
  lastStableOffset: bigint;
}

export interface FetchSession {
  id: number;
  /** The epoch the next request must carry. */
  epoch: number;
  /** Whether the session names topics by id (Fetch v13+). */
  usesTopicIds: boolean;
  partitions: Map<string, SessionPartition>;
  lastUsed: number;
}

export function sessionKey(topicOrId: string, partition: number): string {
  return `${topicOrId}\u0000${partition}`;
}

export type SessionLookup =
  | { kind: 'sessionless' }
  | { kind: 'new'; session: FetchSession | null }
  | { kind: 'incremental'; session: FetchSession }
  | { kind: 'error'; errorCode: number };

/** Bounded cache of sessions (max.incremental.fetch.session.cache.slots), least recently used evicted. */
export class FetchSessionCache {
  private readonly sessions = new Map<number, FetchSession>();

  constructor(private readonly maxSessions: number) {}

  get size(): number {
    return this.sessions.size;
  }

  /** Interprets a request's (sessionId, sessionEpoch) per KIP-227. */
  lookup(sessionId: number, sessionEpoch: number, usesTopicIds: boolean, now: number): SessionLookup {
    if (sessionEpoch === FINAL_EPOCH) {
      if (sessionId !== 0) this.sessions.delete(sessionId);
      return { kind: 'sessionless' };
    }
    if (sessionEpoch === INITIAL_EPOCH) {
      if (sessionId !== 0) this.sessions.delete(sessionId);
      return { kind: 'new', session: this.create(usesTopicIds, now) };
    }
    const session = this.sessions.get(sessionId);
    if (!session) return { kind: 'error', errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND };
    if (session.epoch !== sessionEpoch) return { kind: 'error', errorCode: ErrorCode.INVALID_FETCH_SESSION_EPOCH };
    if (session.usesTopicIds !== usesTopicIds) return { kind: 'error', errorCode: ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR };
    // Touch for LRU order.
    this.sessions.delete(sessionId);
    this.sessions.set(sessionId, session);
    session.lastUsed = now;
    return { kind: 'incremental', session };
  }

  private create(usesTopicIds: boolean, now: number): FetchSession | null {
    if (this.maxSessions <= 0) return null;
    if (this.sessions.size >= this.maxSessions) {
      const oldest = this.sessions.keys().next().value as number;
      this.sessions.delete(oldest);
    }
    // Random, as Kafka's newSessionId: ids counted from 1 repeat after a restart, and a client
    // still holding the old broker's session 1 then closes or reuses another client's session 1.
    let id: number;
    do id = randomInt(1, 0x7fffffff);
    while (this.sessions.has(id));
    const session: FetchSession = { id, epoch: 1, usesTopicIds, partitions: new Map(), lastUsed: now };
    this.sessions.set(id, session);
    return session;
  }

  /** Forgets sessions that name a deleted topic's partitions. */
  removeTopic(topic: string): void {
    for (const s of this.sessions.values()) for (const [k, p] of s.partitions) if (p.topic === topic) s.partitions.delete(k);
  }
}
