/**
 * Controller election through etcd, and the fence on every metadata write. A broker becomes
 * controller by creating the election key (put-if-absent) on its lease; the key's create
 * revision is the controller epoch. A lease alone does not give mutual exclusion (a paused
 * controller does not know its lease expired), so every metadata write is a transaction that
 * compares the election key's create revision and value with this controller's: once another
 * broker holds the key, the ex-controller's writes are refused by etcd itself.
 */
import type { Namespace } from 'etcd3';
import type { KeyWrite } from '../metadata/etcd-codec.js';

/** A write refused because this broker is not (or no longer) the controller of that epoch. */
export class NotControllerError extends Error {
  override readonly name = 'NotControllerError';
}

/** Compares a commit makes besides the epoch: a key's mod revision as the writer last saw it (0: absent). */
export interface KeyGuard {
  readonly key: string;
  readonly modRevision: string;
}

export class ControllerElection {
  /** The election key's create revision while this broker holds it. */
  private heldEpoch: string | undefined;

  constructor(
    private readonly client: Namespace,
    private readonly electionKey: string,
    private readonly nodeId: number,
    private readonly leaseId: () => string,
  ) {}

  get epoch(): string | undefined {
    return this.heldEpoch;
  }

  /**
   * Tries to become controller: true when this broker now holds the election key (created now,
   * or still held under this broker's current lease).
   */
  async campaign(): Promise<boolean> {
    const lease = this.leaseId();
    const res = await this.client
      .if(this.electionKey, 'Create', '==', 0)
      .then(this.client.put(this.electionKey).value(String(this.nodeId)).lease(lease))
      .else(this.client.get(this.electionKey))
      .commit();
    if (res.succeeded) {
      this.heldEpoch = String(res.header!.revision);
      return true;
    }
    const kv = res.responses[0]?.response_range?.kvs?.[0];
    const mine = kv && kv.value?.toString() === String(this.nodeId) && String(kv.lease) === lease;
    this.heldEpoch = mine ? String(kv.create_revision) : undefined;
    return mine === true;
  }

  /** Forgets the epoch (the key was seen deleted or taken, or the lease was lost). */
  resign(): void {
    this.heldEpoch = undefined;
  }

  /**
   * Commits `writes` if this broker is still the controller of its epoch and every guarded key
   * is at the revision given; returns the commit's revision. NotControllerError when fenced,
   * `stale` when a guard failed while the epoch held (the caller re-reads and retries).
   */
  async commit(writes: readonly KeyWrite[], guards: readonly KeyGuard[] = []): Promise<{ revision: string } | 'stale'> {
    const epoch = this.heldEpoch;
    if (epoch === undefined) throw new NotControllerError(`node ${this.nodeId} is not the controller`);
    let txn = this.client.if(this.electionKey, 'Create', '==', epoch).and(this.electionKey, 'Value', '==', String(this.nodeId));
    for (const g of guards) txn = txn.and(g.key, 'Mod', '==', g.modRevision);
    const res = await txn
      .then(...writes.map((w) => (w.value === null ? this.client.delete().key(w.key) : w.lease && w.lease !== '0' ? this.client.put(w.key).value(w.value).lease(w.lease) : this.client.put(w.key).value(w.value))))
      .else(this.client.get(this.electionKey))
      .commit();
    if (res.succeeded) return { revision: String(res.header!.revision) };
    const kv = res.responses[0]?.response_range?.kvs?.[0];
    if (!kv || String(kv.create_revision) !== epoch || kv.value?.toString() !== String(this.nodeId)) {
      this.heldEpoch = undefined;
      throw new NotControllerError(`node ${this.nodeId} is no longer the controller of epoch ${epoch}`);
    }
    return 'stale';
  }
}
