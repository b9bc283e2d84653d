/**
 * The cluster's metadata store: committed metadata lives in etcd (layout in etcd-codec.ts), each
 * broker mirrors the keys under the prefix by a watch and derives its image from them, applying
 * the difference through `MetadataLoader.apply` in revision order; it never applies a revision
 * older than one it applied, and after a compaction or a lost watch it re-lists and resumes.
 *
 * Writes, and why they are sound:
 * - A broker's registration is its own put on its lease (put-if-absent the first time, so a
 *   second broker with the same node.id refuses to start); when the lease expires the key goes,
 *   and with it the broker from every image.
 * - Every other change is a proposal: a key the proposer puts on its lease, which the controller
 *   (whichever broker holds the election, see controller/) answers by one fenced transaction that
 *   commits the change's key writes, deletes the proposal and puts the answer. The controller
 *   itself proposes the same way. One path means a change is always checked against the
 *   controller's view and committed under its epoch, and a proposal made while there is no
 *   controller waits in etcd for the next one. `propose` resolves once the answer's revision has
 *   been applied here, so the caller sees its own change.
 */
import { circuitBreaker, ConsecutiveBreaker, ExponentialBackoff, handleWhen } from 'cockatiel';
import { Etcd3, isRecoverableError, type IKeyValue, type IWatchResponse, type Lease, type Watcher } from 'etcd3';
import { ErrorCode, KafkaError } from '../errors.js';
import type { Logger } from '../../util/logger.js';
import { SerialQueue } from '../../util/serial.js';
import { Controller, type ClusterView, type LeaderRebalance, type StoredProposal } from '../controller/controller.js';
import { ControllerElection } from '../controller/election.js';
import { controlledShutdownRemaining } from '../controller/partition-change.js';
import type { MetadataChange } from './changes.js';
import { diffImages, EtcdKeys, encodeBroker, imageFromKeys, type ProposalResult } from './etcd-codec.js';
import type { BrokerRegistration, MetadataImage } from './image.js';
import { randomUuid } from './names.js';
import { MetadataLoader, type MetadataPublisher, type MetadataStore } from './store.js';

export interface EtcdStoreOptions {
  readonly endpoints: readonly string[];
  readonly prefix: string;
  readonly nodeId: number;
  readonly clusterId: string | null;
  readonly sessionTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly logger: Logger;
  /** The controller's periodic preferred-leader elections (auto.leader.rebalance.enable); none when absent. */
  readonly leaderRebalance?: LeaderRebalance;
  /** How long a proposal waits for the controller's answer (default 30 s). */
  readonly proposalTimeoutMs?: number;
}

interface Pending {
  resolve: (image: MetadataImage) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export class EtcdMetadataStore implements MetadataStore, ClusterView {
  readonly kvs = new Map<string, string>();
  private readonly revisions = new Map<string, { mod: string; lease: string }>();
  private readonly keys: EtcdKeys;
  /** Made from the first listing. */
  private loader!: MetadataLoader;
  /** Watch responses (and re-lists) are applied one at a time, in order. */
  private readonly applyQueue = new SerialQueue();
  private applied = 0n;
  private readonly waiters = new Set<{ revision: bigint; resolve: () => void }>();
  /** Waiting for a published image to pass a test (controlled shutdown's completion). */
  private readonly imageWaiters = new Set<{ test: (image: MetadataImage) => boolean; resolve: () => void }>();
  private readonly pending = new Map<string, Pending>();
  private readonly election: ControllerElection;
  private readonly controller: Controller;
  private lease!: Lease;
  private leaseId = '0';
  /** While a lost session is being replaced. */
  private rejoining?: Promise<void>;
  private heartbeat: NodeJS.Timeout | undefined;
  private watcher: Watcher | undefined;
  private registration: BrokerRegistration | undefined;
  private proposals = 0;
  private campaigning: Promise<void> | undefined;
  /** Set once open succeeded: a lease lost before then is open's failure, not a session's end. */
  private opened = false;
  private closed = false;

  private constructor(
    private readonly client: Etcd3,
    private readonly options: EtcdStoreOptions,
  ) {
    this.keys = new EtcdKeys(options.prefix.replace(/\/+$/, ''));
    this.election = new ControllerElection(client, this.keys.controller, options.nodeId, () => this.leaseId);
    this.controller = new Controller(this.keys, options.nodeId, this.election, this, options.logger, options.leaderRebalance);
  }

  /** Connects, takes a lease, agrees on the cluster id, lists the metadata and starts watching it. */
  static async open(options: EtcdStoreOptions): Promise<EtcdMetadataStore> {
    const client = new Etcd3({
      hosts: [...options.endpoints],
      dialTimeout: options.sessionTimeoutMs,
      // An endpoint that failed is tried again, and a lost watch re-established, within a
      // heartbeat (etcd3's defaults, 5 s and up to 30 s, are longer than a session can bear).
      faultHandling: {
        host: () => circuitBreaker(handleWhen(isRecoverableError), { halfOpenAfter: options.heartbeatIntervalMs, breaker: new ConsecutiveBreaker(3) }),
        watchBackoff: new ExponentialBackoff({ initialDelay: 100, maxDelay: options.heartbeatIntervalMs }).next(),
      },
    });
    const store = new EtcdMetadataStore(client, options);
    try {
      await store.grantLease();
      await store.agreeClusterId();
      await store.relist();
      store.opened = true;
      void store.campaign();
      return store;
    } catch (e) {
      await store.close().catch(() => undefined);
      throw new Error(`cannot open the etcd metadata store at ${options.endpoints.join(',')}: ${(e as Error).message}`);
    }
  }

  get image(): MetadataImage {
    return this.loader.image;
  }

  subscribe(publisher: MetadataPublisher): void {
    this.loader.subscribe(publisher);
  }

  modRevision(key: string): string {
    return this.revisions.get(key)?.mod ?? '0';
  }

  leaseOf(key: string): string {
    return this.revisions.get(key)?.lease ?? '0';
  }

  waitForRevision(revision: string): Promise<void> {
    const r = BigInt(revision);
    if (r <= this.applied) return Promise.resolve();
    return new Promise((resolve) => this.waiters.add({ revision: r, resolve }));
  }

  propose(change: MetadataChange): Promise<MetadataImage> {
    if (change.type === 'registerBroker') return this.register(change.broker);
    const id = `${this.options.nodeId}-${this.leaseId}-${++this.proposals}`;
    const proposal: StoredProposal = { nodeId: this.options.nodeId, lease: this.leaseId, change };
    return new Promise<MetadataImage>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        void this.client.delete().key(this.keys.proposal(id)).catch(() => undefined);
        reject(new KafkaError(ErrorCode.REQUEST_TIMED_OUT, 'The controller did not answer the metadata change in time.'));
      }, this.options.proposalTimeoutMs ?? 30_000);
      this.pending.set(id, { resolve, reject, timer });
      this.client
        .put(this.keys.proposal(id))
        .value(JSON.stringify(proposal))
        .lease(this.leaseId)
        .catch((e: Error) => {
          clearTimeout(timer);
          this.pending.delete(id);
          void this.client.delete().key(this.keys.proposal(id)).catch(() => undefined);
          // etcd unreachable or without a quorum: the controller cannot commit, which Kafka's
          // brokers answer REQUEST_TIMED_OUT (retriable) when forwarding to the controller fails.
          reject(isRecoverableError(e) ? new KafkaError(ErrorCode.REQUEST_TIMED_OUT, `etcd did not take the metadata change: ${e.message}`) : e);
        });
    });
  }

  /**
   * Kafka's BrokerHeartbeat wantShutDown, then waiting for the controller's answer: done once
   * this broker is marked and leads nothing another ISR member could lead, in no ISR it could
   * leave. Bounded by `timeoutMs` (an unreachable etcd or controller must not hold the stop up).
   */
  async controlledShutdown(timeoutMs: number): Promise<boolean> {
    if (this.closed) return false;
    const id = this.options.nodeId;
    const done = (async () => {
      await this.propose({ type: 'controlledShutdown', id });
      await this.imageWhere((image) => controlledShutdownRemaining(image, id) === 0);
      return true;
    })();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    try {
      return await Promise.race([done, timeout]);
    } catch (e) {
      this.options.logger.warn('controlled shutdown refused', { node: id, error: (e as Error).message });
      return false;
    } finally {
      clearTimeout(timer);
      // The proposal is rejected by close() if it is still pending: nobody waits for it then.
      done.catch(() => undefined);
    }
  }

  private imageWhere(test: (image: MetadataImage) => boolean): Promise<void> {
    if (test(this.image)) return Promise.resolve();
    return new Promise((resolve) => this.imageWaiters.add({ test, resolve }));
  }

  /** Deregisters (the lease is revoked: registration, controllership and proposals go with it) and disconnects. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    this.controller.close();
    this.rejectPending(new KafkaError(ErrorCode.NOT_CONTROLLER, 'The broker is shutting down.'));
    // Bounded: an etcd that does not answer must not hold the stop up; the lease then expires
    // on its own within the session timeout, taking the registration with it.
    const bounded = (work: Promise<unknown>) => {
      let timer: NodeJS.Timeout | undefined;
      const giveUp = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.options.sessionTimeoutMs)));
      return Promise.race([work.catch(() => undefined), giveUp]).finally(() => clearTimeout(timer));
    };
    await bounded(Promise.all([this.watcher?.cancel(), this.leaseId !== '0' ? this.lease.revoke() : undefined]));
    this.client.close();
  }

  private rejectPending(e: KafkaError): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(e);
      this.pending.delete(id);
    }
  }

  private async grantLease(): Promise<void> {
    const ttl = Math.max(1, Math.ceil(this.options.sessionTimeoutMs / 1000));
    const lease = this.client.lease(ttl, { autoKeepAlive: false });
    this.lease = lease;
    // Only the current lease's loss counts: a replaced one's late failures are old news.
    lease.on('lost', (e) => {
      if (lease === this.lease) this.leaseLost(e);
    });
    this.leaseId = await lease.grant();
    clearInterval(this.heartbeat);
    // One keepalive at a time: cut off from etcd, they would pile up and all fail at once on healing.
    let inFlight = false;
    this.heartbeat = setInterval(() => {
      if (inFlight) return;
      inFlight = true;
      void this.keepalive(lease).finally(() => (inFlight = false));
    }, this.options.heartbeatIntervalMs);
    this.heartbeat.unref();
  }

  /**
   * One lease keepalive, tried again at once when an endpoint is down: etcd3 opens the keepalive
   * stream on a random endpoint and, unlike a unary call, does not retry it on the next, so with
   * one member of three dead a third of the heartbeats would be lost (the failed endpoint's
   * circuit breaker then steers the retry elsewhere).
   */
  private async keepalive(lease: Lease): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await lease.keepaliveOnce();
        return;
      } catch (e) {
        // An expired lease (EtcdLeaseInvalidError) is not an endpoint's fault: 'lost' handles it.
        if (this.closed || !isRecoverableError(e as Error) || attempt >= this.options.endpoints.length) {
          if (!this.closed) this.options.logger.warn('etcd lease keepalive failed', { error: (e as Error).message, attempts: attempt + 1 });
          return;
        }
      }
    }
  }

  /** The lease expired (this broker was cut off longer than its session): register anew, as a fenced Kafka broker does; one rejoin at a time. */
  private leaseLost(e: Error): void {
    if (this.closed || !this.opened || this.rejoining) return;
    this.rejoining = this.rejoin(e).finally(() => (this.rejoining = undefined));
  }

  private async rejoin(e: Error): Promise<void> {
    this.options.logger.error('etcd lease lost: this broker was dead to the cluster', { node: this.options.nodeId, error: e.message });
    this.election.resign();
    // Proposals lived on the lost lease: gone from etcd, so no answer will come.
    this.rejectPending(new KafkaError(ErrorCode.REQUEST_TIMED_OUT, 'The broker lost its etcd session before the controller answered.'));
    for (let attempt = 0; !this.closed; attempt++) {
      try {
        await this.grantLease();
        if (this.registration) await this.register(this.registration);
        await this.campaign();
        this.options.logger.info('rejoined the cluster', { node: this.options.nodeId, lease: this.leaseId });
        return;
      } catch (err) {
        // Kafka's broker retries its registration until it succeeds; so does this one.
        this.options.logger.error('cannot rejoin the cluster yet, retrying', { error: (err as Error).message });
        // Unref'd: the broker's listeners keep its process up; a closed-over store must not.
        await new Promise((r) => setTimeout(r, Math.min(5000, 250 * 2 ** attempt)).unref());
      }
    }
  }

  /** A compare-and-swap on P/producer-ids: two brokers racing get different blocks. */
  async allocateProducerIdBlock(size: bigint, atLeast: bigint): Promise<bigint> {
    const key = this.keys.producerIds;
    for (;;) {
      const res = await this.client.get(key).exec();
      const kv = res.kvs[0];
      const stored = kv ? BigInt(kv.value.toString()) : 0n;
      const start = stored > atLeast ? stored : atLeast;
      const guard = kv ? this.client.if(key, 'Mod', '==', kv.mod_revision) : this.client.if(key, 'Create', '==', 0);
      if ((await guard.then(this.client.put(key).value(String(start + size))).commit()).succeeded) return start;
    }
  }

  private async agreeClusterId(): Promise<void> {
    const wanted = this.options.clusterId ?? randomUuid();
    const res = await this.client
      .if(this.keys.clusterId, 'Create', '==', 0)
      .then(this.client.put(this.keys.clusterId).value(wanted))
      .else(this.client.get(this.keys.clusterId))
      .commit();
    const stored = res.succeeded ? wanted : res.responses[0]?.response_range?.kvs?.[0]?.value?.toString();
    if (this.options.clusterId && stored !== this.options.clusterId) {
      throw new Error(`cluster.id ${this.options.clusterId} does not match ${stored} stored in etcd under ${this.keys.prefix}`);
    }
  }

  /** This broker's registration: created if absent (refused if another broker holds the id), then kept current. */
  private async register(broker: BrokerRegistration): Promise<MetadataImage> {
    const key = this.keys.broker(broker.id);
    const put = () => this.client.put(key).value(encodeBroker(broker)).lease(this.leaseId);
    // etcd's comparisons only combine by "and": absent, else held on this broker's own lease.
    // Held on another lease: a live broker, or this one's previous run (killed) until its session
    // expires. Like Kafka's DUPLICATE_BROKER_REGISTRATION, retried, here for two session timeouts.
    const deadline = Date.now() + 2 * this.options.sessionTimeoutMs;
    let res;
    for (let attempt = 0; ; attempt++) {
      res = await this.client.if(key, 'Create', '==', 0).then(put()).commit();
      if (!res.succeeded) res = await this.client.if(key, 'Lease', '==', this.leaseId).then(put()).commit();
      if (res.succeeded || Date.now() > deadline || this.closed) break;
      if (attempt === 0) this.options.logger.warn('node.id is registered on another session; waiting for it to expire', { node: broker.id });
      await new Promise((r) => setTimeout(r, 500));
    }
    if (!res.succeeded) {
      throw new Error(`node.id ${broker.id} is already registered in etcd under ${this.keys.prefix} by a live broker (or by this one's previous run, until its session of ${this.options.sessionTimeoutMs} ms expires)`);
    }
    this.registration = broker;
    await this.waitForRevision(String(res.header!.revision));
    return this.image;
  }

  /** One campaign at a time: a second call while one runs joins it. */
  private campaign(): Promise<void> {
    this.campaigning ??= this.runCampaign().finally(() => (this.campaigning = undefined));
    return this.campaigning;
  }

  private async runCampaign(): Promise<void> {
    if (this.closed) return;
    try {
      const before = this.election.epoch;
      if (await this.election.campaign()) {
        if (this.election.epoch !== before) this.options.logger.info('elected controller', { node: this.options.nodeId, epoch: this.election.epoch });
        this.controller.poke();
      }
    } catch (e) {
      this.options.logger.warn('controller campaign failed', { error: (e as Error).message });
    }
  }

  /** Reads every key afresh and watches from there (at start, and after a compaction or a lost watch). */
  private relist(): Promise<void> {
    return this.applyQueue.run(async () => {
      await this.watcher?.cancel().catch(() => undefined);
      const res = await this.client.getAll().prefix(`${this.keys.prefix}/`).exec();
      const revision = BigInt(res.header.revision);
      if (revision >= this.applied) {
        this.kvs.clear();
        this.revisions.clear();
        for (const kv of res.kvs) this.remember(kv);
        await this.publish(revision);
      }
      const from = (revision > this.applied ? revision : this.applied) + 1n;
      const watcher = await this.client.watch().prefix(`${this.keys.prefix}/`).startRevision(String(from)).create();
      watcher.on('data', (r) => void this.applyQueue.run(() => this.onWatch(r)));
      watcher.on('error', (e) => {
        if (this.closed || this.watcher !== watcher) return;
        // Canceled by etcd (e.g. its start revision was compacted): nothing to cancel here.
        this.watcher = undefined;
        this.options.logger.warn('etcd watch lost, re-listing', { error: e.message });
        void this.relist().catch((err) => this.options.logger.error('etcd re-list failed', { error: err }));
      });
      this.watcher = watcher;
    });
  }

  private remember(kv: IKeyValue): void {
    const key = kv.key.toString();
    this.kvs.set(key, kv.value.toString());
    this.revisions.set(key, { mod: String(kv.mod_revision), lease: String(kv.lease) });
  }

  private async onWatch(res: IWatchResponse): Promise<void> {
    if (this.closed) return;
    let revision = this.applied;
    for (const e of res.events) {
      const r = BigInt(e.kv.mod_revision);
      if (r <= this.applied) continue;
      if (r > revision) revision = r;
      const key = e.kv.key.toString();
      if (e.type === 'Delete') {
        this.kvs.delete(key);
        this.revisions.delete(key);
      } else {
        this.remember(e.kv);
      }
    }
    if (revision === this.applied) return;
    await this.publish(revision);
  }

  /** Applies the mirror's image at `revision`, then answers what waited for it. */
  private async publish(revision: bigint): Promise<void> {
    const next = imageFromKeys(this.kvs, this.keys, this.options.nodeId);
    if (!this.loader) this.loader = new MetadataLoader(next);
    const changes = diffImages(this.loader.image, next);
    if (changes.length > 0) {
      try {
        await this.loader.apply(changes);
      } catch (e) {
        this.options.logger.error('metadata change not applied', { error: e, revision: String(revision) });
      }
    }
    this.applied = revision;
    for (const w of this.waiters) {
      if (w.revision <= revision) {
        this.waiters.delete(w);
        w.resolve();
      }
    }
    for (const id of [...this.pending.keys()]) if (this.kvs.has(this.keys.result(id))) this.settle(id);
    for (const w of this.imageWaiters) {
      if (w.test(this.image)) {
        this.imageWaiters.delete(w);
        w.resolve();
      }
    }
    this.afterControllerKey();
    this.controller.poke();
  }

  private settle(id: string): void {
    const key = this.keys.result(id);
    const p = this.pending.get(id)!;
    this.pending.delete(id);
    clearTimeout(p.timer);
    void this.client.delete().key(key).catch(() => undefined);
    const result = JSON.parse(this.kvs.get(key)!) as ProposalResult;
    if (result.ok) p.resolve(this.image);
    else p.reject(new KafkaError(result.code, result.message));
  }

  /** The election key gone: campaign; taken by another broker: this one is no longer controller. */
  private afterControllerKey(): void {
    const holder = this.kvs.get(this.keys.controller);
    if (holder === undefined) {
      this.election.resign();
      void this.campaign();
    } else if (this.election.epoch !== undefined && (holder !== String(this.options.nodeId) || this.modRevisionOfCreate() !== this.election.epoch)) {
      this.election.resign();
    }
  }

  /** The election key's create revision is not kept in the mirror; its mod revision equals it (the key is written once). */
  private modRevisionOfCreate(): string {
    return this.modRevision(this.keys.controller);
  }
}
