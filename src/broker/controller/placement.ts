/**
 * Where the replicas of new partitions go (Kafka's rack-aware assignment, reduced): brokers are
 * ordered so that racks alternate, and partition p's replicas are the rf brokers after the p-th
 * in that order, so consecutive replicas sit on different racks while racks are balanced and the
 * leaders (first replicas) spread round-robin. Without racks the order is by broker id.
 */
import type { BrokerRegistration } from '../metadata/image.js';

/** Broker ids with racks interleaved: rack A's first, rack B's first, ..., rack A's second, ... */
export function rackAlternatedBrokers(brokers: Iterable<BrokerRegistration>): number[] {
  const byRack = new Map<string, number[]>();
  for (const b of [...brokers].sort((x, y) => x.id - y.id)) {
    const rack = b.rack ?? '';
    byRack.set(rack, [...(byRack.get(rack) ?? []), b.id]);
  }
  const racks = [...byRack.keys()].sort();
  const out: number[] = [];
  for (let i = 0; out.length < [...byRack.values()].reduce((n, ids) => n + ids.length, 0); i++) {
    for (const rack of racks) {
      const id = byRack.get(rack)![i];
      if (id !== undefined) out.push(id);
    }
  }
  return out;
}

/** Replicas of partitions `from`..`to-1`, `rf` each (rf at most the number of brokers). */
export function placeReplicas(brokers: Iterable<BrokerRegistration>, from: number, to: number, rf: number): number[][] {
  const ids = rackAlternatedBrokers(brokers);
  return Array.from({ length: to - from }, (_, i) => Array.from({ length: rf }, (_, r) => ids[(from + i + r) % ids.length]!));
}
