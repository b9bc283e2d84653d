/**
 * A group of the classic protocol (JoinGroup/SyncGroup/Heartbeat), modelled on Kafka's
 * ClassicGroup: its state, members, the protocols they support, static members (KIP-345) and
 * members still owing a JoinGroup (KIP-394) or a SyncGroup. The coordinator shard drives it;
 * this class only keeps the bookkeeping consistent.
 */
import { ConsumerProtocolSubscriptionCodec } from '../../protocol/generated/data/consumer-protocol-subscription.js';
import { EMPTY_BUFFER, Reader } from '../../protocol/runtime/index.js';
import { GroupErrors as E } from './errors.js';

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

const VALID_PREVIOUS_STATES: Record<GroupState, readonly GroupState[]> = {
  Empty: ['PreparingRebalance'],
  PreparingRebalance: ['Stable', 'CompletingRebalance', 'Empty'],
  CompletingRebalance: ['PreparingRebalance'],
  Stable: ['CompletingRebalance'],
  Dead: ['Stable', 'PreparingRebalance', 'CompletingRebalance', 'Empty', 'Dead'],
};

/** The protocol type of Kafka consumers: members' metadata is a ConsumerProtocolSubscription. */
export const CONSUMER_PROTOCOL_TYPE = 'consumer';

export interface Protocol {
  name: string;
  metadata: Buffer;
}

export interface JoinGroupMember {
  memberId: string;
  groupInstanceId: string | null;
  metadata: Buffer;
}

export interface JoinGroupResult {
  errorCode: number;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leader: string;
  skipAssignment: boolean;
  memberId: string;
  members: JoinGroupMember[];
}

export interface SyncGroupResult {
  errorCode: number;
  protocolType: string | null;
  protocolName: string | null;
  assignment: Buffer;
}

/** A response that another operation (or a timer) completes later. */
export class Deferred<T> {
  readonly promise: Promise<T>;
  resolve!: (value: T) => void;
  constructor() {
    this.promise = new Promise<T>((resolve) => (this.resolve = resolve));
  }
}

export class ClassicGroupMember {
  /** Joined but not yet through a completed JoinGroup (expired by the new-member join timeout). */
  isNew = false;
  assignment: Buffer = EMPTY_BUFFER;
  joinWaiter: Deferred<JoinGroupResult> | undefined;
  syncWaiter: Deferred<SyncGroupResult> | undefined;

  constructor(
    public memberId: string,
    readonly groupInstanceId: string | null,
    readonly clientId: string,
    readonly clientHost: string,
    public rebalanceTimeoutMs: number,
    public sessionTimeoutMs: number,
    readonly protocolType: string,
    public protocols: Protocol[],
  ) {}

  get isStatic(): boolean {
    return this.groupInstanceId !== null;
  }
  get isAwaitingJoin(): boolean {
    return this.joinWaiter !== undefined;
  }
  get isAwaitingSync(): boolean {
    return this.syncWaiter !== undefined;
  }

  /** The member's metadata for one protocol (empty when it does not support it). */
  metadata(protocolName: string | null): Buffer {
    return this.protocols.find((p) => p.name === protocolName)?.metadata ?? EMPTY_BUFFER;
  }

  /** Same protocols, in the same order, with the same metadata. */
  matches(protocols: readonly Protocol[]): boolean {
    if (protocols.length !== this.protocols.length) return false;
    return protocols.every((p, i) => p.name === this.protocols[i]!.name && p.metadata.equals(this.protocols[i]!.metadata));
  }

  /** The member's most preferred protocol among the candidates. */
  vote(candidates: ReadonlySet<string>): string {
    const choice = this.protocols.find((p) => candidates.has(p.name));
    if (!choice) throw new Error(`member ${this.memberId} supports none of the candidate protocols`);
    return choice.name;
  }
}

export class ClassicGroup {
  state: GroupState;
  previousState: GroupState;
  /** When the group last changed state (ms); offsets of an Empty group expire counting from it. */
  stateTimestamp: number | undefined;
  generationId = 0;
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  /** Members in join order (the first remaining one becomes leader when the leader goes). */
  readonly members = new Map<string, ClassicGroupMember>();
  /** Member ids handed out with MEMBER_ID_REQUIRED that have not joined yet (KIP-394). */
  readonly pendingJoinMembers = new Set<string>();
  /** Members of the current generation that have not sent SyncGroup yet. */
  readonly pendingSyncMembers = new Set<string>();
  /** In the initial rebalance delay: a member joined since the delay last started. */
  newMemberAdded = false;
  /** Topics the members subscribe to (consumer protocol only); null when unknown. */
  subscribedTopics: ReadonlySet<string> | null = null;
  private readonly staticMembers = new Map<string, string>();
  private readonly supportedProtocols = new Map<string, number>();

  constructor(
    readonly groupId: string,
    initialState: GroupState,
    now: number | undefined,
  ) {
    this.state = initialState;
    this.previousState = initialState;
    this.stateTimestamp = now;
  }

  isInState(s: GroupState): boolean {
    return this.state === s;
  }

  transitionTo(target: GroupState, now: number): void {
    if (!VALID_PREVIOUS_STATES[target].includes(this.state)) {
      throw new Error(`group ${this.groupId} cannot go from ${this.state} to ${target}`);
    }
    this.previousState = this.state;
    this.state = target;
    this.stateTimestamp = now;
  }

  /** Sets the state without the transition rules: only replay does this, the log being the authority. */
  restoreState(state: GroupState, timestamp: number | undefined): void {
    this.previousState = this.state;
    this.state = state;
    this.stateTimestamp = timestamp;
  }

  get size(): number {
    return this.members.size;
  }

  hasMember(memberId: string): boolean {
    return this.members.has(memberId);
  }

  member(memberId: string): ClassicGroupMember {
    const m = this.members.get(memberId);
    if (!m) throw new Error(`member ${memberId} is not in group ${this.groupId}`);
    return m;
  }

  isLeader(memberId: string): boolean {
    return this.leaderId === memberId;
  }

  staticMemberId(groupInstanceId: string): string | undefined {
    return this.staticMembers.get(groupInstanceId);
  }

  /** Adds a member that joins now; `waiter` is its pending JoinGroup response. */
  add(member: ClassicGroupMember, waiter?: Deferred<JoinGroupResult>): void {
    if (member.groupInstanceId !== null) this.staticMembers.set(member.groupInstanceId, member.memberId);
    if (this.members.size === 0) this.protocolType = member.protocolType;
    this.members.set(member.memberId, member);
    this.countProtocols(member.protocols, 1);
    member.joinWaiter = waiter;
    this.pendingJoinMembers.delete(member.memberId);
    if (this.leaderId === null) this.leaderId = member.memberId;
  }

  remove(memberId: string): void {
    const member = this.members.get(memberId);
    if (member) {
      this.members.delete(memberId);
      this.countProtocols(member.protocols, -1);
      if (member.groupInstanceId !== null && this.staticMembers.get(member.groupInstanceId) === memberId) this.staticMembers.delete(member.groupInstanceId);
    }
    if (this.isLeader(memberId)) this.leaderId = this.members.keys().next().value ?? null;
    this.pendingJoinMembers.delete(memberId);
    this.pendingSyncMembers.delete(memberId);
  }

  /**
   * Gives a static member's place to a new member id (KIP-345). Whoever still waits on the old
   * id's JoinGroup or SyncGroup is fenced at once.
   */
  replaceStaticMember(groupInstanceId: string, oldMemberId: string, newMemberId: string, fenced: { join: JoinGroupResult; sync: SyncGroupResult }): ClassicGroupMember {
    const member = this.member(oldMemberId);
    this.members.delete(oldMemberId);
    this.completeJoin(member, fenced.join);
    this.completeSync(member, fenced.sync);
    member.memberId = newMemberId;
    this.members.set(newMemberId, member);
    if (this.isLeader(oldMemberId)) this.leaderId = newMemberId;
    this.staticMembers.set(groupInstanceId, newMemberId);
    if (this.pendingSyncMembers.delete(oldMemberId)) this.pendingSyncMembers.add(newMemberId);
    return member;
  }

  /**
   * A member joins again: new protocols and timeouts; `waiter` replaces its pending JoinGroup
   * (a superseded one is answered with `superseded`, never left hanging).
   */
  updateMember(member: ClassicGroupMember, protocols: Protocol[], rebalanceTimeoutMs: number, sessionTimeoutMs: number, waiter: Deferred<JoinGroupResult> | undefined, superseded: JoinGroupResult): void {
    this.countProtocols(member.protocols, -1);
    member.protocols = protocols;
    this.countProtocols(protocols, 1);
    member.rebalanceTimeoutMs = rebalanceTimeoutMs;
    member.sessionTimeoutMs = sessionTimeoutMs;
    if (member.joinWaiter && member.joinWaiter !== waiter) member.joinWaiter.resolve(superseded);
    member.joinWaiter = waiter;
  }

  /** Answers the member's pending JoinGroup; false when it had none. */
  completeJoin(member: ClassicGroupMember, result: JoinGroupResult): boolean {
    const w = member.joinWaiter;
    if (!w) return false;
    member.joinWaiter = undefined;
    w.resolve(result);
    return true;
  }

  completeSync(member: ClassicGroupMember, result: SyncGroupResult): boolean {
    const w = member.syncWaiter;
    if (!w) return false;
    member.syncWaiter = undefined;
    w.resolve(result);
    return true;
  }

  addPendingMember(memberId: string): void {
    this.pendingJoinMembers.add(memberId);
  }

  isPendingMember(memberId: string): boolean {
    return this.pendingJoinMembers.has(memberId);
  }

  get numAwaitingJoin(): number {
    let n = 0;
    for (const m of this.members.values()) if (m.isAwaitingJoin) n++;
    return n;
  }

  hasAllMembersJoined(): boolean {
    return this.numAwaitingJoin === this.members.size && this.pendingJoinMembers.size === 0;
  }

  notYetRejoinedMembers(): ClassicGroupMember[] {
    return [...this.members.values()].filter((m) => !m.isAwaitingJoin);
  }

  hasReceivedSyncFromAllMembers(): boolean {
    return this.pendingSyncMembers.size === 0;
  }

  /** When the leader has not rejoined, any member that has becomes leader; false if none has. */
  maybeElectNewJoinedLeader(): boolean {
    if (this.leaderId === null) return false;
    const leader = this.members.get(this.leaderId);
    if (leader?.isAwaitingJoin) return true;
    for (const m of this.members.values()) {
      if (m.isAwaitingJoin) {
        this.leaderId = m.memberId;
        return true;
      }
    }
    return false;
  }

  /** The longest rebalance timeout among the members: how long a rebalance waits for rejoins. */
  rebalanceTimeoutMs(): number {
    let max = 0;
    for (const m of this.members.values()) max = Math.max(max, m.rebalanceTimeoutMs);
    return max;
  }

  canRebalance(): boolean {
    return VALID_PREVIOUS_STATES.PreparingRebalance.includes(this.state);
  }

  /** Whether a member of this protocol type with these protocols may be in the group. */
  supportsProtocols(protocolType: string, protocols: readonly Protocol[]): boolean {
    if (this.isInState('Empty')) return protocolType !== '' && protocols.length > 0;
    return this.protocolType === protocolType && protocols.some((p) => this.supportedProtocols.get(p.name) === this.members.size);
  }

  /** The protocols every member supports. */
  candidateProtocols(): Set<string> {
    const out = new Set<string>();
    for (const [name, count] of this.supportedProtocols) if (count === this.members.size) out.add(name);
    return out;
  }

  /**
   * Kafka's choice: among the protocols all members support, each member votes for the one it
   * lists first; the most votes win (ties: the one voted for first, in member order).
   */
  selectProtocol(): string {
    if (this.members.size === 0) throw new Error(`cannot select a protocol for empty group ${this.groupId}`);
    const candidates = this.candidateProtocols();
    const votes = new Map<string, number>();
    for (const m of this.members.values()) {
      const v = m.vote(candidates);
      votes.set(v, (votes.get(v) ?? 0) + 1);
    }
    let best = '';
    let most = -1;
    for (const [name, n] of votes) {
      if (n > most) {
        best = name;
        most = n;
      }
    }
    return best;
  }

  /** Ends the join phase: the next generation, with a protocol when there are members. */
  initNextGeneration(now: number): void {
    this.generationId++;
    if (this.members.size > 0) {
      this.protocolName = this.selectProtocol();
      this.subscribedTopics = this.computeSubscribedTopics();
      this.transitionTo('CompletingRebalance', now);
    } else {
      this.protocolName = null;
      this.subscribedTopics = this.computeSubscribedTopics();
      this.transitionTo('Empty', now);
    }
    this.pendingSyncMembers.clear();
  }

  /** Members and their metadata for the selected protocol, as the leader's JoinGroup response lists them. */
  currentMembersForLeader(): JoinGroupMember[] {
    if (this.isInState('Dead') || this.isInState('PreparingRebalance')) throw new Error(`group ${this.groupId} has no current members in state ${this.state}`);
    return [...this.members.values()].map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: m.metadata(this.protocolName) }));
  }

  /**
   * The union of the members' subscribed topics, read from their ConsumerProtocolSubscription
   * (the broker reads subscriptions, never assignments). Null when not a consumer group or
   * a subscription does not parse.
   */
  computeSubscribedTopics(): ReadonlySet<string> | null {
    if (this.protocolType !== CONSUMER_PROTOCOL_TYPE || this.protocolName === null) return null;
    const topics = new Set<string>();
    for (const m of this.members.values()) {
      const parsed = parseSubscriptionTopics(m.metadata(this.protocolName));
      if (parsed === null) return null;
      for (const t of parsed) topics.add(t);
    }
    return topics;
  }

  isSubscribedToTopic(topic: string): boolean {
    return this.subscribedTopics?.has(topic) ?? false;
  }

  /** group.max.size: existing members stay; new ones are turned away when the group is full. */
  acceptsJoiningMember(memberId: string, groupMaxSize: number): boolean {
    switch (this.state) {
      case 'Empty':
      case 'Dead':
        return true;
      case 'PreparingRebalance':
        return (this.hasMember(memberId) && this.member(memberId).isAwaitingJoin) || this.numAwaitingJoin < groupMaxSize;
      case 'CompletingRebalance':
      case 'Stable':
        return this.hasMember(memberId) || this.size < groupMaxSize;
    }
  }

  /** KIP-345 fencing: a static member must come with the member id it was given; any member must exist. Returns an error code. */
  validateMember(memberId: string, groupInstanceId: string | null): number {
    if (groupInstanceId !== null) {
      const existing = this.staticMemberId(groupInstanceId);
      if (existing === undefined) return E.UNKNOWN_MEMBER_ID;
      if (existing !== memberId) return E.FENCED_INSTANCE_ID;
    }
    return this.hasMember(memberId) ? E.NONE : E.UNKNOWN_MEMBER_ID;
  }

  /** The JoinGroup answer of the current generation (the leader's with every member's metadata). */
  currentGeneration(memberId: string, withMembers: boolean): JoinGroupResult {
    return {
      errorCode: E.NONE,
      generationId: this.generationId,
      protocolType: this.protocolType,
      protocolName: this.protocolName,
      leader: this.leaderId ?? '',
      skipAssignment: false,
      memberId,
      members: withMembers ? this.currentMembersForLeader() : [],
    };
  }

  private countProtocols(protocols: readonly Protocol[], delta: number): void {
    for (const p of protocols) {
      const n = (this.supportedProtocols.get(p.name) ?? 0) + delta;
      if (n === 0) this.supportedProtocols.delete(p.name);
      else this.supportedProtocols.set(p.name, n);
    }
  }
}

/** Topics of a ConsumerProtocolSubscription (int16 version, then the schema); null if malformed. */
export function parseSubscriptionTopics(metadata: Buffer): string[] | null {
  try {
    const r = new Reader(metadata);
    const version = r.int16('version');
    if (version < 0) return null;
    const codec = ConsumerProtocolSubscriptionCodec;
    return codec.read(r, Math.min(version, codec.maxVersion)).topics;
  } catch {
    return null;
  }
}
