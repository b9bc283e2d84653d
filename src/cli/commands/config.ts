/** `samsa config get|set`: broker configs, static and dynamic. */
import { Command } from 'commander';
import { ConfigResourceType, KafkaError } from '../../client/index.js';
import { print } from '../output.js';
import { parseKeyValues, UsageError } from '../settings.js';
import { action, collect, itemResults, withAdmin } from './common.js';

export function registerConfigCommands(program: Command): void {
  const config = program.command('config').description('broker configs');
  config
    .command('get')
    .description('configs of a broker (default: the controller)')
    .argument('[broker]', 'broker id')
    .argument('[keys...]', 'only these keys')
    .option('--all', 'include defaults')
    .action(
      action(async (broker: string | undefined, keys: string[], o: { all?: boolean }, cmd: Command) =>
        withAdmin(cmd, async (admin, g) => {
          const id = broker ?? String((await admin.describeCluster()).controllerId);
          const [res] = await admin.describeConfigs([{ type: ConfigResourceType.BROKER, name: id, keys: keys.length ? keys : undefined }]);
          if (res!.errorCode) throw new KafkaError(res!.errorCode, `configs of broker ${id}`, res!.errorMessage);
          const rows = res!.configs.filter((c) => o.all || keys.length || !c.isDefault);
          print(g.output, rows, [
            { header: 'KEY', get: (c) => c.name },
            { header: 'VALUE', get: (c) => (c.isSensitive ? '(sensitive)' : c.value) },
            { header: 'SOURCE', get: (c) => c.source },
            { header: 'READ-ONLY', get: (c) => c.readOnly },
          ]);
        }),
      ),
    );
  config
    .command('set')
    .description('change broker configs dynamically (broker id, or "" for the cluster-wide default)')
    .argument('<broker>')
    .argument('[pairs...]', 'key=value')
    .option('-d, --delete <key>', 'remove a dynamic config (repeatable)', collect)
    .option('--dry-run', 'validate only')
    .action(
      action(async (broker: string, pairs: string[], o: { delete?: string[]; dryRun?: boolean }, cmd: Command) => {
        const ops = [...Object.entries(parseKeyValues(pairs, 'config set')).map(([name, value]) => ({ name, op: 'set' as const, value })), ...(o.delete ?? []).map((name) => ({ name, op: 'delete' as const }))];
        if (!ops.length) throw new UsageError('nothing to change: give key=value pairs and/or --delete key');
        return withAdmin(cmd, async (admin) =>
          itemResults(await admin.alterConfigs([{ type: ConfigResourceType.BROKER, name: broker, ops }], { validateOnly: o.dryRun }), 'cannot alter configs of broker', (n) => `altered configs of broker ${n || '(default)'}`),
        );
      }),
    );
}
