/**
 * `samsa cluster status` (what kafka-topics.sh --describe --under-replicated-partitions /
 * --under-min-isr-partitions / --unavailable-partitions show, in one view) and `samsa cluster
 * elect` (kafka-leader-election.sh).
 */
import { Command } from 'commander';
import type { Admin } from '../../client/admin.js';
import { electLeaders, ELECTION_TYPES } from '../../client/admin-elect.js';
import type { TopicInfo } from '../../client/cluster.js';
import { print } from '../output.js';
import { UsageError } from '../settings.js';
import { action, EXIT, int, withAdmin } from './common.js';

export type PartitionState = 'offline' | 'under-min-isr' | 'under-replicated';

export interface PartitionHealth {
  topic: string;
  partition: number;
  leader: number;
  replicas: number[];
  isr: number[];
  minIsr: number;
  state: PartitionState;
}

/** The partitions that are not fully healthy, worst first: offline (no leader), under min ISR, under-replicated (ISR < replicas). */
export function unhealthyPartitions(topics: TopicInfo[], minIsr: ReadonlyMap<string, number>): PartitionHealth[] {
  const rank: Record<PartitionState, number> = { offline: 0, 'under-min-isr': 1, 'under-replicated': 2 };
  const out: PartitionHealth[] = [];
  for (const t of topics) {
    for (const p of t.partitions) {
      const min = minIsr.get(t.name) ?? 1;
      const state: PartitionState | undefined = p.leader < 0 ? 'offline' : p.isr.length < min ? 'under-min-isr' : p.isr.length < p.replicas.length ? 'under-replicated' : undefined;
      if (state) out.push({ topic: t.name, partition: p.partition, leader: p.leader, replicas: p.replicas, isr: p.isr, minIsr: min, state });
    }
  }
  return out.sort((a, b) => rank[a.state] - rank[b.state] || a.topic.localeCompare(b.topic) || a.partition - b.partition);
}

/** min.insync.replicas of the topics named (one DescribeConfigs). */
async function minIsrOf(admin: Admin, topics: string[]): Promise<Map<string, number>> {
  if (topics.length === 0) return new Map();
  const res = await admin.describeConfigs(topics.map((name) => ({ type: 2, name, keys: ['min.insync.replicas'] })));
  return new Map(res.flatMap((r) => {
    const v = r.configs.find((c) => c.name === 'min.insync.replicas')?.value;
    return v == null ? [] : [[r.name, Number(v)] as [string, number]];
  }));
}

export function registerClusterOpsCommands(cluster: Command): void {
  cluster
    .command('status')
    .description('brokers, controller and the partitions that are offline, under min ISR or under-replicated')
    .addHelpText('after', '\nExit code: 0 when every partition has a leader, 1 when any partition is offline (leader -1), 3 when the cluster cannot be reached.')
    .action(
      action(async (_o: unknown, cmd: Command) =>
        withAdmin(cmd, async (admin, g) => {
          const c = await admin.describeCluster();
          const topics = (await admin.describeTopics()).filter((t) => t.errorCode === 0);
          const suspects = topics.filter((t) => t.partitions.some((p) => p.leader < 0 || p.isr.length < p.replicas.length || p.isr.length <= 1)).map((t) => t.name);
          const bad = unhealthyPartitions(topics, await minIsrOf(admin, suspects));
          const count = (s: PartitionState) => bad.filter((p) => p.state === s).length;
          const summary = { total: topics.reduce((n, t) => n + t.partitions.length, 0), offline: count('offline'), underMinIsr: count('under-min-isr'), underReplicated: count('under-replicated') };
          if (g.output !== 'table') print(g.output, [], [], { clusterId: c.clusterId, controllerId: c.controllerId, brokers: c.brokers, partitions: summary, unhealthy: bad });
          else {
            process.stdout.write(`Cluster: ${c.clusterId ?? '-'}  Controller: ${c.controllerId}  Brokers: ${c.brokers.map((b) => b.nodeId).sort((a, b) => a - b).join(',')}\n`);
            process.stdout.write(`Partitions: ${summary.total}  offline: ${summary.offline}  under min ISR: ${summary.underMinIsr}  under-replicated: ${summary.underReplicated}\n`);
            if (bad.length > 0) {
              print('table', bad, [
                { header: 'TOPIC', get: (p) => p.topic },
                { header: 'PARTITION', get: (p) => p.partition, align: 'right' },
                { header: 'STATE', get: (p) => p.state },
                { header: 'LEADER', get: (p) => p.leader, align: 'right' },
                { header: 'REPLICAS', get: (p) => p.replicas.join(',') },
                { header: 'ISR', get: (p) => p.isr.join(',') },
                { header: 'MIN ISR', get: (p) => p.minIsr, align: 'right' },
              ]);
            }
          }
          return summary.offline > 0 ? EXIT.KAFKA : EXIT.OK;
        }),
      ),
    );

  cluster
    .command('elect')
    .description('leader election (kafka-leader-election.sh): preferred moves leadership back to the first replica, unclean gives a leaderless partition any live replica (may lose records)')
    .option('--topic <topic>', 'the topic (all its partitions unless --partition)')
    .option('--partition <n>', 'one partition of --topic', int('--partition'))
    .option('--all', 'every partition of the cluster')
    .option('--type <type>', 'preferred or unclean', 'preferred')
    .addHelpText('after', '\nExit code: 0 when every election succeeded or was not needed, 1 otherwise.')
    .action(
      action(async (o: { topic?: string; partition?: number; all?: boolean; type: string }, cmd: Command) => {
        const type = ELECTION_TYPES[o.type.toLowerCase() as keyof typeof ELECTION_TYPES];
        if (type === undefined) throw new UsageError(`--type must be preferred or unclean, got "${o.type}"`);
        if (!o.all === (o.topic === undefined)) throw new UsageError('give either --topic (with --partition) or --all');
        if (o.partition !== undefined && o.topic === undefined) throw new UsageError('--partition needs --topic');
        return withAdmin(cmd, async (admin, g) => {
          let partitions: { topic: string; partition: number }[] | null = null;
          if (o.topic !== undefined) {
            if (o.partition !== undefined) partitions = [{ topic: o.topic, partition: o.partition }];
            else {
              const t = (await admin.describeTopics([o.topic]))[0];
              if (!t || t.errorCode !== 0 || t.partitions.length === 0) partitions = [{ topic: o.topic, partition: 0 }];
              else partitions = t.partitions.map((p) => ({ topic: o.topic!, partition: p.partition }));
            }
          }
          const results = await electLeaders(admin, type, partitions);
          if (results.length === 0 && g.output === 'table') console.error('no partition needed an election');
          else print(g.output, results, [
            { header: 'TOPIC', get: (r) => r.topic },
            { header: 'PARTITION', get: (r) => r.partition, align: 'right' },
            { header: 'RESULT', get: (r) => (r.error === null ? 'elected' : r.error === 'ELECTION_NOT_NEEDED' ? 'not needed' : r.error) },
            { header: 'MESSAGE', get: (r) => (r.error === null || r.error === 'ELECTION_NOT_NEEDED' ? '' : (r.errorMessage ?? '')) },
          ]);
          return results.some((r) => r.error !== null && r.error !== 'ELECTION_NOT_NEEDED') ? EXIT.KAFKA : EXIT.OK;
        });
      }),
    );
}
