/**
 * Admin.electLeaders (Kafka's AdminClient.electLeaders): a preferred or unclean leader election
 * of the given partitions, or of every partition when `partitions` is null (the answer then
 * names only the partitions that needed one). Kept beside admin.ts, on the Admin's cluster.
 */
import { ElectLeaders } from '../protocol/generated/apis/43-elect-leaders.js';
import type { Admin } from './admin.js';
import { errorName } from './errors.js';

export const ELECTION_TYPES = { preferred: 0, unclean: 1 } as const;

export interface ElectionResult {
  topic: string;
  partition: number;
  errorCode: number;
  error: string | null;
  errorMessage: string | null;
}

export async function electLeaders(admin: Admin, type: number, partitions: { topic: string; partition: number }[] | null, timeoutMs = 60_000): Promise<ElectionResult[]> {
  const byTopic = new Map<string, number[]>();
  for (const p of partitions ?? []) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p.partition]);
  const conn = await admin.cluster.controllerConnection();
  const res = await conn.request(ElectLeaders, {
    electionType: type,
    topicPartitions: partitions === null ? null : [...byTopic].map(([topic, ps]) => ({ topic, partitions: ps })),
    timeoutMs,
  });
  const out = res.replicaElectionResults.flatMap((t) =>
    t.partitionResult.map((p) => ({ topic: t.topic, partition: p.partitionId, errorCode: p.errorCode, error: p.errorCode ? errorName(p.errorCode) : null, errorMessage: p.errorMessage })),
  );
  // A top-level error (v1+) applies to every partition asked.
  if (res.errorCode !== 0 && out.length === 0) for (const p of partitions ?? []) out.push({ ...p, errorCode: res.errorCode, error: errorName(res.errorCode), errorMessage: null });
  return out.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
}
