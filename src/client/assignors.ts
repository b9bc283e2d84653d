/**
 * Partition assignors of the classic consumer protocol, run by the group leader:
 *  - `range` (Java's RangeAssignor): per topic, consecutive ranges to members sorted by id;
 *  - `cooperative-sticky` (Java's CooperativeStickyAssignor, KIP-429): keeps each member's
 *    owned partitions up to a balanced quota, spreads the rest, and never hands a partition
 *    straight from one member to another in one rebalance: the owner revokes it first, then a
 *    follow-up rebalance gives it away.
 */

export interface AssignorMember {
  memberId: string;
  groupInstanceId?: string | null;
  topics: string[];
  /** Partitions the member owns now (cooperative protocol). */
  owned: { topic: string; partition: number }[];
  generation: number;
}

/** memberId → topic → partitions. */
export type Assignment = Map<string, Map<string, number[]>>;

export interface Assignor {
  readonly name: string;
  readonly cooperative: boolean;
  assign(members: AssignorMember[], partitionsPerTopic: Map<string, number>): Assignment;
}

function emptyAssignment(members: AssignorMember[]): Assignment {
  return new Map(members.map((m) => [m.memberId, new Map<string, number[]>()]));
}

function add(a: Assignment, memberId: string, topic: string, partition: number): void {
  const m = a.get(memberId)!;
  let l = m.get(topic);
  if (!l) m.set(topic, (l = []));
  l.push(partition);
}

const memberOrder = (a: AssignorMember, b: AssignorMember): number => {
  const ka = a.groupInstanceId ?? a.memberId;
  const kb = b.groupInstanceId ?? b.memberId;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
};

export const RangeAssignor: Assignor = {
  name: 'range',
  cooperative: false,
  assign(members, partitionsPerTopic) {
    const out = emptyAssignment(members);
    const topics = [...new Set(members.flatMap((m) => m.topics))].sort();
    for (const topic of topics) {
      const n = partitionsPerTopic.get(topic);
      if (n === undefined) continue;
      const consumers = members.filter((m) => m.topics.includes(topic)).sort(memberOrder);
      const per = Math.floor(n / consumers.length);
      const extra = n % consumers.length;
      for (let i = 0; i < consumers.length; i++) {
        const start = per * i + Math.min(i, extra);
        const len = per + (i < extra ? 1 : 0);
        for (let p = start; p < start + len; p++) add(out, consumers[i]!.memberId, topic, p);
      }
    }
    return out;
  },
};

export const CooperativeStickyAssignor: Assignor = {
  name: 'cooperative-sticky',
  cooperative: true,
  assign(members, partitionsPerTopic) {
    const out = emptyAssignment(members);
    const sorted = [...members].sort(memberOrder);
    const all: { topic: string; partition: number }[] = [];
    for (const topic of [...new Set(members.flatMap((m) => m.topics))].sort()) {
      const n = partitionsPerTopic.get(topic) ?? 0;
      for (let p = 0; p < n; p++) all.push({ topic, partition: p });
    }
    const key = (t: string, p: number) => `${t}\0${p}`;
    // Current owner of each partition: the claim of the highest generation wins.
    const owner = new Map<string, { memberId: string; generation: number }>();
    for (const m of sorted) {
      for (const o of m.owned) {
        if (!m.topics.includes(o.topic) || o.partition >= (partitionsPerTopic.get(o.topic) ?? 0)) continue;
        const k = key(o.topic, o.partition);
        const prev = owner.get(k);
        if (!prev || m.generation > prev.generation) owner.set(k, { memberId: m.memberId, generation: m.generation });
      }
    }
    const count = new Map(sorted.map((m) => [m.memberId, 0]));
    const assigned = new Set<string>();
    // Quota: every member subscribed to everything gets floor or ceil of the total.
    const total = all.length;
    const minQuota = Math.floor(total / Math.max(1, sorted.length));
    let maxQuotaSlots = total % Math.max(1, sorted.length);
    // 1. Sticky: keep owned partitions up to the quota.
    for (const m of sorted) {
      const mine = m.owned.filter((o) => owner.get(key(o.topic, o.partition))?.memberId === m.memberId).sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
      let quota = minQuota;
      if (mine.length > minQuota && maxQuotaSlots > 0) {
        quota = minQuota + 1;
        maxQuotaSlots--;
      }
      for (const o of mine.slice(0, quota)) {
        add(out, m.memberId, o.topic, o.partition);
        assigned.add(key(o.topic, o.partition));
        count.set(m.memberId, count.get(m.memberId)! + 1);
      }
    }
    // 2. The rest to the least loaded subscribed member.
    const moved = new Set<string>();
    for (const tp of all) {
      const k = key(tp.topic, tp.partition);
      if (assigned.has(k)) continue;
      let best: AssignorMember | undefined;
      for (const m of sorted) {
        if (!m.topics.includes(tp.topic)) continue;
        if (!best || count.get(m.memberId)! < count.get(best.memberId)!) best = m;
      }
      if (!best) continue;
      count.set(best.memberId, count.get(best.memberId)! + 1);
      assigned.add(k);
      const prev = owner.get(k);
      if (prev && prev.memberId !== best.memberId) {
        // Owned by someone else: it revokes first; the follow-up rebalance assigns it.
        moved.add(k);
        continue;
      }
      add(out, best.memberId, tp.topic, tp.partition);
    }
    for (const m of out.values()) for (const l of m.values()) l.sort((a, b) => a - b);
    return out;
  },
};

export const ASSIGNORS: Record<string, Assignor> = {
  range: RangeAssignor,
  'cooperative-sticky': CooperativeStickyAssignor,
};
