/**
 * The controller's work while this broker holds the election (Kafka's QuorumController,
 * reduced): it answers the proposals brokers leave in etcd, and moves leadership and ISR when
 * brokers die or return. It reads the cluster from the store's mirror of etcd's keys, decides,
 * and commits through the election's fenced transactions, one decision at a time, each checked
 * against the keys' revisions it was made from; it waits until the mirror has caught up with
 * its own commit before deciding again.
 */
import { ErrorCode, KafkaError } from '../errors.js';
import type { PartitionRegistration } from '../metadata/image.js';
import { imageFromKeys, writesForChange, type EtcdKeys, type KeyWrite, type Proposal, type ProposalResult } from '../metadata/etcd-codec.js';
import type { Logger } from '../../util/logger.js';
import { SerialQueue } from '../../util/serial.js';
import { NotControllerError, type ControllerElection, type KeyGuard } from './election.js';
import { livenessChanges } from './partition-change.js';
import { rebalanceMoves } from './preferred-election.js';

/** What the controller reads of the store: its mirror of etcd's keys under the prefix. */
export interface ClusterView {
  readonly kvs: ReadonlyMap<string, string>;
  /** The key's mod revision in the mirror, '0' when absent. */
  modRevision(key: string): string;
  /** The lease a key is on, '0' when none. */
  leaseOf(key: string): string;
  /** Resolves once the mirror has applied `revision`. */
  waitForRevision(revision: string): Promise<void>;
}

/** A proposal's value in etcd: the proposal and the proposer's lease, which its answer goes on. */
export interface StoredProposal extends Proposal {
  readonly lease: string;
}

/** auto.leader.rebalance.enable and leader.imbalance.check.interval.seconds. */
export interface LeaderRebalance {
  readonly intervalMs: number;
}

export class Controller {
  private readonly queue = new SerialQueue();
  private scheduled = false;
  private rebalanceTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly keys: EtcdKeys,
    private readonly nodeId: number,
    private readonly election: ControllerElection,
    private readonly view: ClusterView,
    private readonly logger: Logger,
    rebalance?: LeaderRebalance,
  ) {
    if (rebalance) {
      this.rebalanceTimer = setInterval(() => {
        if (this.active) void this.queue.run(() => this.rebalance().catch((e: unknown) => this.logger.warn('leader rebalance failed', { error: (e as Error).message })));
      }, rebalance.intervalMs);
      this.rebalanceTimer.unref();
    }
  }

  close(): void {
    clearInterval(this.rebalanceTimer);
  }

  /** Leadership back to preferred replicas (one fenced commit per topic; a stale one waits for the next pass). */
  private async rebalance(): Promise<void> {
    const byTopic = new Map<string, { index: number; registration: PartitionRegistration }[]>();
    for (const m of rebalanceMoves(imageFromKeys(this.view.kvs, this.keys, this.nodeId))) byTopic.set(m.topic, [...(byTopic.get(m.topic) ?? []), { index: m.index, registration: m.registration }]);
    for (const [name, partitions] of byTopic) {
      const writes = writesForChange(this.view.kvs, this.keys, this.nodeId, { type: 'changePartitions', name, partitions });
      if (!(await this.commit(writes, []))) return;
      this.logger.info('preferred leaders elected (auto.leader.rebalance.enable)', { topic: name, partitions: partitions.map((p) => `${p.index}:${p.registration.leader}`).join(',') });
    }
  }

  get active(): boolean {
    return this.election.epoch !== undefined;
  }

  /** Something changed in etcd: look again for proposals to answer and partitions to move. */
  poke(): void {
    if (!this.active || this.scheduled) return;
    this.scheduled = true;
    void this.queue.run(async () => {
      this.scheduled = false;
      try {
        await this.work();
      } catch (e) {
        if (e instanceof NotControllerError) this.logger.warn('controller fenced', { node: this.nodeId, reason: e.message });
        else this.logger.error('controller work failed', { error: e });
      }
    });
  }

  private async work(): Promise<void> {
    const pending = [...this.view.kvs].flatMap(([key, value]) => {
      const id = this.keys.idUnder('proposals', key);
      return id === undefined ? [] : [{ id, value }];
    });
    for (const p of pending) if (!(await this.answer(p.id, p.value))) return this.retrySoon();
    if (!(await this.moveLeadership())) this.retrySoon();
  }

  /** The mirror was behind etcd when a decision was committed: decide again once it caught up. */
  private retrySoon(): void {
    setTimeout(() => this.poke(), 50).unref();
  }

  /** Commits the proposal's change (or the reason it is refused) with its answer; false when stale. */
  private async answer(id: string, text: string): Promise<boolean> {
    const proposalKey = this.keys.proposal(id);
    let writes: KeyWrite[] = [];
    let result: ProposalResult = { ok: true };
    let lease = this.view.leaseOf(proposalKey);
    try {
      const p = JSON.parse(text) as StoredProposal;
      lease = p.lease;
      writes = writesForChange(this.view.kvs, this.keys, p.nodeId, p.change);
    } catch (e) {
      result = { ok: false, code: e instanceof KafkaError ? e.code : ErrorCode.UNKNOWN_SERVER_ERROR, message: (e as Error).message };
    }
    // The answer goes on the proposer's lease: gone with the proposer if it never reads it.
    const answer = (r: ProposalResult): KeyWrite => ({ key: this.keys.result(id), value: JSON.stringify(r), lease });
    try {
      return await this.commit([...writes, { key: proposalKey, value: null }, answer(result)], [proposalKey]);
    } catch (e) {
      // etcd refused the transaction itself (e.g. larger than its request limit): refuse the change, not the next ones.
      if (e instanceof NotControllerError || writes.length === 0) throw e;
      this.logger.warn('metadata change not committed', { proposal: id, error: (e as Error).message });
      return this.commit([{ key: proposalKey, value: null }, answer({ ok: false, code: ErrorCode.UNKNOWN_SERVER_ERROR, message: `etcd refused the change: ${(e as Error).message}` })], [proposalKey]);
    }
  }

  /** Leaders and ISRs after brokers died or returned; false when stale. */
  private async moveLeadership(): Promise<boolean> {
    const image = imageFromKeys(this.view.kvs, this.keys, this.nodeId);
    const byTopic = new Map<string, { index: number; registration: PartitionRegistration }[]>();
    for (const c of livenessChanges(image)) byTopic.set(c.topic, [...(byTopic.get(c.topic) ?? []), { index: c.index, registration: c.registration }]);
    for (const [name, partitions] of byTopic) {
      const writes = writesForChange(this.view.kvs, this.keys, this.nodeId, { type: 'changePartitions', name, partitions });
      if (!(await this.commit(writes, []))) return false;
      this.logger.info('partition leadership moved', { topic: name, partitions: partitions.map((p) => `${p.index}:${p.registration.leader}`).join(',') });
    }
    return true;
  }

  /**
   * One fenced commit guarded by the revisions of the written keys (and `extraGuards`) as the
   * mirror has them. A write `sameLeaseAs` a key goes on that key's lease, guarded too: a key
   * re-put on a new lease since makes the commit stale.
   */
  private async commit(writes: KeyWrite[], extraGuards: string[]): Promise<boolean> {
    const leased = writes.map((w) => (w.sameLeaseAs === undefined ? w : { key: w.key, value: w.value, lease: this.view.leaseOf(w.sameLeaseAs) }));
    const onLeaseOf = writes.flatMap((w) => (w.sameLeaseAs === undefined ? [] : [w.sameLeaseAs]));
    const guards: KeyGuard[] = [...new Set([...writes.map((w) => w.key), ...extraGuards, ...onLeaseOf])].map((key) => ({ key, modRevision: this.view.modRevision(key) }));
    const r = await this.election.commit(leased, guards);
    if (r === 'stale') return false;
    await this.view.waitForRevision(r.revision);
    return true;
  }
}
