// KIP-951: a NOT_LEADER_OR_FOLLOWER answer names the partition's current leader and epoch, and
// the response lists where that leader is reached, so a client need not refresh its metadata
// first (Produce v10+, Fetch v16+). From the image; this node as leader, or none, gives no hint.
import { ErrorCode } from '../errors.js';
import type { MetadataImage } from '../metadata/image.js';

export interface LeaderHint {
  leaderId: number;
  leaderEpoch: number;
}

export interface NodeEndpoint {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

export const NO_LEADER_HINT: LeaderHint = Object.freeze({ leaderId: -1, leaderEpoch: -1 });

export class LeaderHints {
  private readonly endpoints = new Map<number, NodeEndpoint>();

  constructor(
    private readonly image: MetadataImage,
    private readonly listener: string,
    private readonly nodeId: number,
    /** The errors that carry a hint (Produce: NOT_LEADER_OR_FOLLOWER; Fetch: also FENCED_LEADER_EPOCH). */
    private readonly errors: readonly number[],
  ) {}

  /** The current leader for an answer with `errorCode`, remembering its endpoint. */
  currentLeader(topic: string, partition: number, errorCode: number): LeaderHint {
    if (!this.errors.includes(errorCode)) return NO_LEADER_HINT;
    const reg = this.image.partition(topic, partition);
    if (!reg || reg.leader < 0 || reg.leader === this.nodeId) return NO_LEADER_HINT;
    const e = this.image.endpoint(reg.leader, this.listener);
    if (!e) return NO_LEADER_HINT;
    this.endpoints.set(reg.leader, { nodeId: reg.leader, host: e.host, port: e.port, rack: this.image.broker(reg.leader)?.rack ?? null });
    return { leaderId: reg.leader, leaderEpoch: reg.leaderEpoch };
  }

  nodeEndpoints(): NodeEndpoint[] {
    return [...this.endpoints.values()].sort((a, b) => a.nodeId - b.nodeId);
  }
}

export const PRODUCE_HINTED = [ErrorCode.NOT_LEADER_OR_FOLLOWER];
export const FETCH_HINTED = [ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.FENCED_LEADER_EPOCH];
