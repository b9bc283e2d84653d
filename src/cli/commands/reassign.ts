/**
 * `samsa cluster reassign`: moves a partition's replicas (KIP-455's AlterPartitionReassignments),
 * cancels a move in progress, or lists the moves in progress (ListPartitionReassignments).
 */
import { Command } from 'commander';
import { print } from '../output.js';
import { action, int, itemResults, withAdmin } from './common.js';
import { UsageError } from '../settings.js';

const ids = (v: string): number[] => {
  const out = v.split(',').map((s) => Number(s.trim()));
  if (out.some((n) => !Number.isInteger(n) || n < 0)) throw new Error(`--replicas: broker ids separated by commas, not "${v}"`);
  return out;
};

interface Options {
  topic?: string;
  partition?: number;
  replicas?: number[];
  cancel?: boolean;
  list?: boolean;
}

export function registerReassignCommand(cluster: Command): void {
  cluster
    .command('reassign')
    .description('move a partition onto other brokers, cancel a move, or list the moves in progress')
    .option('-t, --topic <name>', 'the topic')
    .option('-p, --partition <n>', 'the partition', int('--partition'))
    .option('--replicas <ids>', 'the target brokers, e.g. 1,2,3 (the first is the preferred leader)', ids)
    .option('--cancel', "cancel the partition's reassignment in progress (back to its original replicas)")
    .option('--list', 'list the reassignments in progress')
    .action(
      action(async (o: Options, cmd: Command) =>
        withAdmin(cmd, async (admin, g): Promise<number | void> => {
          if (o.list) {
            const rows = await admin.listPartitionReassignments(o.topic !== undefined && o.partition !== undefined ? [{ topic: o.topic, partitions: [o.partition] }] : undefined);
            return print(g.output, rows, [
              { header: 'TOPIC', get: (r) => r.topic },
              { header: 'PARTITION', get: (r) => r.partition, align: 'right' },
              { header: 'REPLICAS', get: (r) => r.replicas.join(',') },
              { header: 'ADDING', get: (r) => r.addingReplicas.join(',') },
              { header: 'REMOVING', get: (r) => r.removingReplicas.join(',') },
            ]);
          }
          if (o.topic === undefined || o.partition === undefined || (!o.cancel && !o.replicas) || (o.cancel && o.replicas)) {
            throw new UsageError('give --topic and --partition, with --replicas or --cancel (or --list)');
          }
          const results = await admin.alterPartitionReassignments([{ topic: o.topic, partition: o.partition, replicas: o.cancel ? null : o.replicas! }]);
          return itemResults(results, 'reassign', (name) => (o.cancel ? `reassignment of ${name} cancelled` : `reassignment of ${name} started`));
        }),
      ),
    );
}
