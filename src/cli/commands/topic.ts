/** `samsa topic ...`: create, list, describe, delete, alter-config, add-partitions; kafka-topics' flags too. */
import { Command } from 'commander';
import { ConfigResourceType, KafkaError, errorHint } from '../../client/index.js';
import { print } from '../output.js';
import { parseKeyValues, UsageError } from '../settings.js';
import { acceptKafkaToolFlags, action, collect, EXIT, int, itemResults, withAdmin } from './common.js';

interface CreateOpts {
  partitions?: number;
  replicationFactor?: number;
  config?: string[];
  ifNotExists?: boolean;
  dryRun?: boolean;
}

export function registerTopicCommands(program: Command): void {
  const topic = program.command('topic').description('create, list, describe, delete and alter topics');

  topic
    .command('create')
    .description('create topics')
    .argument('<names...>')
    .option('-p, --partitions <n>', 'partitions (default: the broker\'s num.partitions)', int('--partitions'))
    .option('-r, --replication-factor <n>', 'replicas (default: the broker\'s default)', int('--replication-factor'))
    .option('-c, --config <key=value>', 'topic config (repeatable)', collect)
    .option('--if-not-exists', 'succeed when a topic already exists')
    .option('--dry-run', 'validate only')
    .action(action(createTopics));

  topic
    .command('list')
    .alias('ls')
    .description('list topics with partition counts')
    .option('--internal', 'include internal topics (__consumer_offsets)')
    .action(action(listTopics));

  topic
    .command('describe')
    .description('partitions (leader, replicas, offsets) and non-default configs of topics')
    .argument('<names...>')
    .option('--all-configs', 'show every config, defaults included')
    .action(action(describeTopics));

  topic
    .command('delete')
    .alias('rm')
    .description('delete topics')
    .argument('<names...>')
    .option('--if-exists', 'succeed when a topic does not exist')
    .action(action(deleteTopics));

  topic
    .command('alter-config')
    .description('change topic configs (incrementally: other keys stay as they are)')
    .argument('<names...>')
    .option('-c, --set <key=value>', 'set a config (repeatable)', collect)
    .option('-d, --delete <key>', 'reset a config to its default (repeatable)', collect)
    .option('--append <key=value>', 'append to a list config', collect)
    .option('--subtract <key=value>', 'remove from a list config', collect)
    .option('--dry-run', 'validate only')
    .action(action(alterTopicConfigs));

  topic
    .command('add-partitions')
    .description('raise the partition count of topics')
    .argument('<names...>')
    .requiredOption('-p, --partitions <n>', 'new total partition count', int('--partitions'))
    .option('--dry-run', 'validate only')
    .action(action(addPartitions));

  // Last: commander copies a command's settings into the subcommands created after them.
  acceptKafkaToolFlags(topic, {
    tool: 'kafka-topics',
    modes: ['create', 'list', 'describe', 'delete', 'alter'],
    nameWith: '--topic',
    define: (p) =>
      p
        .option('--create', '= topic create')
        .option('--list', '= topic list')
        .option('--describe', '= topic describe (every topic without --topic)')
        .option('--delete', '= topic delete')
        .option('--alter', 'with --partitions: = topic add-partitions')
        .option('--topic <name>', 'the topic (repeatable)', collect)
        .option('--partitions <n>', 'partitions', int('--partitions'))
        .option('--replication-factor <n>', 'replicas', int('--replication-factor'))
        .option('--config <key=value>', 'topic config (repeatable)', collect)
        .option('--if-not-exists', 'with --create: succeed when a topic already exists')
        .option('--if-exists', 'with --delete or --alter: succeed when a topic does not exist'),
    run: kafkaTopics,
  });
}

export async function createTopics(names: string[], o: CreateOpts, cmd: Command): Promise<number> {
  const configs = parseKeyValues(o.config, '--config');
  return withAdmin(cmd, async (admin) => {
    const res = await admin.createTopics(
      names.map((name) => ({ name, partitions: o.partitions, replicationFactor: o.replicationFactor, configs })),
      { validateOnly: o.dryRun },
    );
    return itemResults(res, 'cannot create topic', (n) => (o.dryRun ? `topic ${n} can be created (dry run)` : `created topic ${n}`), o.ifNotExists ? ['TOPIC_ALREADY_EXISTS'] : []);
  });
}

export async function listTopics(o: { internal?: boolean }, cmd: Command): Promise<void> {
  return withAdmin(cmd, async (admin, g) => {
    const topics = (await admin.describeTopics()).filter((t) => o.internal || !t.isInternal);
    const rows = topics.map((t) => ({ name: t.name, partitions: t.partitions.length, replicationFactor: t.partitions[0]?.replicas.length ?? 0, internal: t.isInternal }));
    print(g.output, rows, [
      { header: 'TOPIC', get: (r) => r.name },
      { header: 'PARTITIONS', get: (r) => r.partitions, align: 'right' },
      { header: 'REPLICAS', get: (r) => r.replicationFactor, align: 'right' },
    ]);
  });
}

export async function describeTopics(names: string[] | undefined, o: { allConfigs?: boolean }, cmd: Command): Promise<number> {
  return withAdmin(cmd, async (admin, g) => {
    const topics = await admin.describeTopics(names);
    const missing = topics.filter((t) => t.errorCode !== 0);
    for (const m of missing) console.error(`samsa: topic ${m.name}: ${new KafkaError(m.errorCode).type} — ${errorHint(m.errorCode) ?? ''}`);
    const found = topics.filter((t) => t.errorCode === 0);
    const offsets = found.length ? await admin.topicOffsets(found.map((t) => t.name)) : [];
    const configs = found.length ? await admin.describeConfigs(found.map((t) => ({ type: ConfigResourceType.TOPIC, name: t.name }))) : [];
    const data = found.map((t) => ({
      name: t.name,
      topicId: t.topicId,
      partitions: t.partitions.map((p) => {
        const off = offsets.find((x) => x.topic === t.name && x.partition === p.partition);
        return { partition: p.partition, leader: p.leader, leaderEpoch: p.leaderEpoch, replicas: p.replicas, isr: p.isr, startOffset: off?.start, endOffset: off?.end };
      }),
      configs: Object.fromEntries((configs.find((c) => c.name === t.name)?.configs ?? []).filter((c) => o.allConfigs || !c.isDefault).map((c) => [c.name, c.isSensitive ? '(sensitive)' : c.value])),
    }));
    if (g.output !== 'table') print(g.output, [], [], data);
    else {
      for (const t of data) {
        process.stdout.write(`Topic: ${t.name}  Id: ${t.topicId}  Partitions: ${t.partitions.length}\n`);
        const cfg = Object.entries(t.configs);
        if (cfg.length) process.stdout.write(`Configs: ${cfg.map(([k, v]) => `${k}=${v}`).join(', ')}\n`);
        print('table', t.partitions, [
          { header: 'PARTITION', get: (p) => p.partition, align: 'right' },
          { header: 'LEADER', get: (p) => p.leader, align: 'right' },
          { header: 'EPOCH', get: (p) => p.leaderEpoch, align: 'right' },
          { header: 'REPLICAS', get: (p) => p.replicas },
          { header: 'ISR', get: (p) => p.isr },
          { header: 'START', get: (p) => p.startOffset, align: 'right' },
          { header: 'END', get: (p) => p.endOffset, align: 'right' },
        ]);
      }
    }
    return missing.length ? EXIT.KAFKA : EXIT.OK;
  });
}

export async function deleteTopics(names: string[], o: { ifExists?: boolean }, cmd: Command): Promise<number> {
  return withAdmin(cmd, async (admin) => itemResults(await admin.deleteTopics(names), 'cannot delete topic', (n) => `deleted topic ${n}`, o.ifExists ? ['UNKNOWN_TOPIC_OR_PARTITION'] : []));
}

async function alterTopicConfigs(names: string[], o: { set?: string[]; delete?: string[]; append?: string[]; subtract?: string[]; dryRun?: boolean }, cmd: Command): Promise<number> {
  const ops = [
    ...Object.entries(parseKeyValues(o.set, '--set')).map(([name, value]) => ({ name, op: 'set' as const, value })),
    ...(o.delete ?? []).map((name) => ({ name, op: 'delete' as const, value: null })),
    ...Object.entries(parseKeyValues(o.append, '--append')).map(([name, value]) => ({ name, op: 'append' as const, value })),
    ...Object.entries(parseKeyValues(o.subtract, '--subtract')).map(([name, value]) => ({ name, op: 'subtract' as const, value })),
  ];
  if (!ops.length) throw new UsageError('nothing to change: give --set key=value and/or --delete key');
  return withAdmin(cmd, async (admin) => {
    const res = await admin.alterConfigs(names.map((name) => ({ type: ConfigResourceType.TOPIC, name, ops })), { validateOnly: o.dryRun });
    return itemResults(res, 'cannot alter configs of topic', (n) => (o.dryRun ? `configs of ${n} valid (dry run)` : `altered configs of topic ${n}`));
  });
}

export async function addPartitions(names: string[], o: { partitions: number; dryRun?: boolean; ifExists?: boolean }, cmd: Command): Promise<number> {
  return withAdmin(cmd, async (admin) => {
    const res = await admin.createPartitions(names.map((name) => ({ name, count: o.partitions })), { validateOnly: o.dryRun });
    return itemResults(res, 'cannot add partitions to', (n) => (o.dryRun ? `${n} can have ${o.partitions} partitions (dry run)` : `${n} now has ${o.partitions} partitions`), o.ifExists ? ['UNKNOWN_TOPIC_OR_PARTITION'] : []);
  });
}

interface KafkaTopicsOpts {
  topic?: string[];
  partitions?: number;
  replicationFactor?: number;
  config?: string[];
  ifNotExists?: boolean;
  ifExists?: boolean;
}

/** `samsa topic --create --topic t --partitions 3`, as kafka-topics is typed, run by the subcommands' code. */
async function kafkaTopics(mode: 'create' | 'list' | 'describe' | 'delete' | 'alter', o: KafkaTopicsOpts, cmd: Command): Promise<number | void> {
  const topics = o.topic ?? [];
  const needTopic = () => {
    if (!topics.length) throw new UsageError(`--${mode} needs --topic <name>`);
  };
  switch (mode) {
    case 'create':
      needTopic();
      return createTopics(topics, { partitions: o.partitions, replicationFactor: o.replicationFactor, config: o.config, ifNotExists: o.ifNotExists }, cmd);
    case 'list':
      return listTopics({}, cmd);
    case 'describe':
      return describeTopics(topics.length ? topics : undefined, {}, cmd);
    case 'delete':
      needTopic();
      return deleteTopics(topics, { ifExists: o.ifExists }, cmd);
    case 'alter':
      needTopic();
      if (o.partitions === undefined) throw new UsageError('--alter changes the partition count only: give --partitions <n> (configs: samsa topic alter-config)');
      return addPartitions(topics, { partitions: o.partitions, ifExists: o.ifExists }, cmd);
  }
}
