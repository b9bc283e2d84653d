/** `samsa cluster info`: cluster id, controller and brokers. */
import { Command } from 'commander';
import { print } from '../output.js';
import { action, withAdmin } from './common.js';
import { registerClusterOpsCommands } from './cluster-ops.js';
import { registerReassignCommand } from './reassign.js';

export function registerClusterCommands(program: Command): void {
  const cluster = program.command('cluster').description('cluster information and operations');
  registerReassignCommand(cluster);
  cluster
    .command('info')
    .description('cluster id, controller and brokers')
    .action(
      action(async (_o: unknown, cmd: Command) =>
        withAdmin(cmd, async (admin, g) => {
          const c = await admin.describeCluster();
          if (g.output !== 'table') return print(g.output, [], [], c);
          process.stdout.write(`Cluster: ${c.clusterId ?? '-'}  Controller: ${c.controllerId}\n`);
          print('table', c.brokers, [
            { header: 'ID', get: (b) => b.nodeId, align: 'right' },
            { header: 'HOST', get: (b) => b.host },
            { header: 'PORT', get: (b) => b.port, align: 'right' },
            { header: 'RACK', get: (b) => b.rack },
          ]);
        }),
      ),
    );
  registerClusterOpsCommands(cluster);
}
