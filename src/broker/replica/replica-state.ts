/**
 * What a leader knows of one replica of its partition (Kafka's Replica / ReplicaState): the log
 * end offset it has (for the local replica: what its appends acknowledged; for a follower: the
 * offset it last fetched from) and when it was last caught up with the leader's log end.
 */
export class ReplicaState {
  /** -1: not known yet (a follower that has not fetched since this node became leader). */
  logEndOffset = -1n;
  /** The follower's own log start offset as its last fetch gave it (Fetch v5+); -1 unknown. */
  logStartOffset = -1n;
  /** Milliseconds since the epoch; 0 = never. */
  lastCaughtUpTimeMs = 0;
  lastFetchTimeMs = 0;
  /** The leader's log end offset when this replica last fetched. */
  lastFetchLeaderLogEndOffset = -1n;

  constructor(readonly brokerId: number) {}

  /**
   * A fetch from `fetchOffset` while the leader's log ended at `leaderEndOffset`: caught up if it
   * asked from the leader's end, or from where the leader's end was at its previous fetch (it has
   * everything up to then), as Kafka's ReplicaState.updateFetchStateOrThrow.
   */
  updateFetchState(fetchOffset: bigint, leaderEndOffset: bigint, fetchTimeMs: number, followerLogStartOffset = -1n): void {
    if (fetchOffset >= leaderEndOffset) this.lastCaughtUpTimeMs = Math.max(this.lastCaughtUpTimeMs, fetchTimeMs);
    else if (fetchOffset >= this.lastFetchLeaderLogEndOffset) this.lastCaughtUpTimeMs = Math.max(this.lastCaughtUpTimeMs, this.lastFetchTimeMs);
    this.logEndOffset = fetchOffset;
    this.logStartOffset = followerLogStartOffset;
    this.lastFetchLeaderLogEndOffset = leaderEndOffset;
    this.lastFetchTimeMs = fetchTimeMs;
  }

  /** Kafka's isCaughtUp: at the leader's log end, or caught up within the last `replicaLagTimeMaxMs`. */
  isCaughtUp(leaderEndOffset: bigint, nowMs: number, replicaLagTimeMaxMs: number): boolean {
    return this.logEndOffset === leaderEndOffset || nowMs - this.lastCaughtUpTimeMs <= replicaLagTimeMaxMs;
  }

  /** The local replica's appends were acknowledged up to `endOffset`. */
  appended(endOffset: bigint, nowMs: number): void {
    if (endOffset > this.logEndOffset) this.logEndOffset = endOffset;
    this.lastCaughtUpTimeMs = nowMs;
  }
}
