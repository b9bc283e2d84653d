/**
 * `samsa` client commands (everything but `start`), on src/client. Exit codes: 0 success,
 * 1 the cluster refused (a Kafka error, named with what to do), 2 usage error, 3 cannot reach
 * the cluster.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { Command, CommanderError, Option } from 'commander';
import {
  Admin,
  ConfigResourceType,
  ConnectionError,
  Consumer,
  EARLIEST_TIMESTAMP,
  KafkaError,
  LATEST_TIMESTAMP,
  Producer,
  errorHint,
  type ConsumedRecord,
  type ItemResult,
  type ProducerRecord,
} from '../client/index.js';
import { compileFormat, FORMAT_HELP, parseTime, recordJson } from './format.js';
import { print, type OutputFormat } from './output.js';
import { checkSettings, clientOptions, consumerOptions, parseKeyValues, producerOptions, resolveCluster, UsageError, type ResolvedCluster } from './settings.js';

export const EXIT = { OK: 0, KAFKA: 1, USAGE: 2, CONNECTION: 3 } as const;

interface GlobalOpts {
  brokers?: string;
  bootstrapServer?: string;
  profile?: string;
  clientSetting?: string[];
  output: OutputFormat;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];
const int = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new UsageError(`${name} must be an integer, got "${v}"`);
  return n;
};

function globals(cmd: Command): GlobalOpts & { cluster: ResolvedCluster } {
  const o = cmd.optsWithGlobals() as GlobalOpts;
  const cluster = resolveCluster({ brokers: o.brokers ?? o.bootstrapServer, profile: o.profile, set: o.clientSetting });
  checkSettings(cluster.settings);
  return { ...o, cluster };
}

/** Runs an action with the error → message + exit code policy. */
function action<A extends unknown[]>(fn: (...args: A) => Promise<number | void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      const code = await fn(...args);
      process.exitCode = code ?? EXIT.OK;
    } catch (e) {
      process.exitCode = reportError(e);
    }
  };
}

export function reportError(e: unknown): number {
  if (e instanceof UsageError) {
    console.error(`samsa: ${e.message}`);
    return EXIT.USAGE;
  }
  if (e instanceof ConnectionError) {
    console.error(`samsa: ${e.message}`);
    if (!/bootstrap/.test(e.message)) console.error('  check --brokers / SAMSA_BROKERS / the profile, and that the broker is running');
    return EXIT.CONNECTION;
  }
  if (e instanceof KafkaError) {
    console.error(`samsa: ${e.message}`);
    return EXIT.KAFKA;
  }
  console.error(`samsa: ${(e as Error)?.message ?? String(e)}`);
  return EXIT.KAFKA;
}

/** Prints per-item failures; returns the exit code. */
function itemResults(results: ItemResult[], what: string, ok: (name: string) => string, ignore: string[] = []): number {
  let failed = 0;
  for (const r of results) {
    if (!r.error || ignore.includes(r.error)) {
      console.error(ok(r.name) + (r.error ? ` (${r.error})` : ''));
      continue;
    }
    failed++;
    const hint = errorHint(r.errorCode);
    console.error(`samsa: ${what} ${r.name}: ${r.error}${r.errorMessage ? ` (${r.errorMessage})` : ''}${hint ? ` — ${hint}` : ''}`);
  }
  return failed ? EXIT.KAFKA : EXIT.OK;
}

async function withAdmin<T>(cmd: Command, fn: (admin: Admin, g: ReturnType<typeof globals>) => Promise<T>): Promise<T> {
  const g = globals(cmd);
  const admin = new Admin(clientOptions(g.cluster));
  try {
    return await fn(admin, g);
  } finally {
    await admin.close();
  }
}

export function buildProgram(): Command {
  const program = new Command('samsa')
    .description('Kafka-compatible broker and command-line client.\n\n`samsa start [server.properties] [--override key=value]...` runs a broker.')
    .option('-b, --brokers <list>', 'bootstrap servers, host:port[,host:port] (also SAMSA_BROKERS)')
    .option('--bootstrap-server <list>', 'alias of --brokers')
    .option('--profile <name>', 'named cluster from the profile file (also SAMSA_PROFILE)')
    .option('-X, --client-setting <key=value>', 'client setting (Kafka property names, e.g. -X client.id=me -X acks=1)', collect)
    .addOption(new Option('-o, --output <format>', 'output of listing commands').choices(['table', 'json', 'yaml']).default('table'))
    .addHelpText(
      'after',
      `
Brokers: -b, then SAMSA_BROKERS, then the profile (--profile / SAMSA_PROFILE / the file's default)
from $SAMSA_CONFIG or ~/.config/samsa/profiles.json, then localhost:9092.
Exit codes: 0 ok, 1 the cluster refused (Kafka error), 2 usage error, 3 cannot reach the cluster.`,
    )
    .showHelpAfterError('(samsa --help for usage)')
    .exitOverride();

  // `samsa start` is dispatched before this parser runs (src/cli/samsa.ts); listed for --help.
  program.command('start').description('run a broker: samsa start [server.properties] [--override key=value]...').allowUnknownOption().argument('[args...]');

  // ---------------- topic ----------------
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
    .action(
      action(async (names: string[], o: { partitions?: number; replicationFactor?: number; config?: string[]; ifNotExists?: boolean; dryRun?: boolean }, cmd: Command) => {
        const configs = parseKeyValues(o.config, '--config');
        return withAdmin(cmd, async (admin) => {
          const res = await admin.createTopics(
            names.map((name) => ({ name, partitions: o.partitions, replicationFactor: o.replicationFactor, configs })),
            { validateOnly: o.dryRun },
          );
          return itemResults(res, 'cannot create topic', (n) => (o.dryRun ? `topic ${n} can be created (dry run)` : `created topic ${n}`), o.ifNotExists ? ['TOPIC_ALREADY_EXISTS'] : []);
        });
      }),
    );

  topic
    .command('list')
    .alias('ls')
    .description('list topics with partition counts')
    .option('--internal', 'include internal topics (__consumer_offsets)')
    .action(
      action(async (o: { internal?: boolean }, cmd: Command) =>
        withAdmin(cmd, async (admin, g) => {
          const topics = (await admin.describeTopics()).filter((t) => o.internal || !t.isInternal);
          const rows = topics.map((t) => ({ name: t.name, partitions: t.partitions.length, replicationFactor: t.partitions[0]?.replicas.length ?? 0, internal: t.isInternal }));
          print(g.output, rows, [
            { header: 'TOPIC', get: (r) => r.name },
            { header: 'PARTITIONS', get: (r) => r.partitions, align: 'right' },
            { header: 'REPLICAS', get: (r) => r.replicationFactor, align: 'right' },
          ]);
        }),
      ),
    );

  topic
    .command('describe')
    .description('partitions (leader, replicas, offsets) and non-default configs of topics')
    .argument('<names...>')
    .option('--all-configs', 'show every config, defaults included')
    .action(
      action(async (names: string[], o: { allConfigs?: boolean }, cmd: Command) =>
        withAdmin(cmd, async (admin, g) => {
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
        }),
      ),
    );

  topic
    .command('delete')
    .alias('rm')
    .description('delete topics')
    .argument('<names...>')
    .option('--if-exists', 'succeed when a topic does not exist')
    .action(
      action(async (names: string[], o: { ifExists?: boolean }, cmd: Command) =>
        withAdmin(cmd, async (admin) => itemResults(await admin.deleteTopics(names), 'cannot delete topic', (n) => `deleted topic ${n}`, o.ifExists ? ['UNKNOWN_TOPIC_OR_PARTITION'] : [])),
      ),
    );

  topic
    .command('alter-config')
    .description('change topic configs (incrementally: other keys stay as they are)')
    .argument('<names...>')
    .option('-c, --set <key=value>', 'set a config (repeatable)', collect)
    .option('-d, --delete <key>', 'reset a config to its default (repeatable)', collect)
    .option('--append <key=value>', 'append to a list config', collect)
    .option('--subtract <key=value>', 'remove from a list config', collect)
    .option('--dry-run', 'validate only')
    .action(
      action(async (names: string[], o: { set?: string[]; delete?: string[]; append?: string[]; subtract?: string[]; dryRun?: boolean }, cmd: Command) => {
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
      }),
    );

  topic
    .command('add-partitions')
    .description('raise the partition count of topics')
    .argument('<names...>')
    .requiredOption('-p, --partitions <n>', 'new total partition count', int('--partitions'))
    .option('--dry-run', 'validate only')
    .action(
      action(async (names: string[], o: { partitions: number; dryRun?: boolean }, cmd: Command) =>
        withAdmin(cmd, async (admin) => {
          const res = await admin.createPartitions(names.map((name) => ({ name, count: o.partitions })), { validateOnly: o.dryRun });
          return itemResults(res, 'cannot add partitions to', (n) => (o.dryRun ? `${n} can have ${o.partitions} partitions (dry run)` : `${n} now has ${o.partitions} partitions`));
        }),
      ),
    );

  // ---------------- produce ----------------
  program
    .command('produce')
    .description('produce records: one per line from stdin or a file')
    .argument('<topic>')
    .option('-f, --file <path>', 'read lines from a file instead of stdin')
    .option('-k, --key-separator <sep>', 'split each line into key and value at the first <sep>')
    .option('-H, --header <key=value>', 'header on every record (repeatable)', collect)
    .option('-p, --partition <n>', 'partition (default: by key, or sticky)', int('--partition'))
    .addOption(new Option('-z, --compression <codec>', 'compression').choices(['none', 'gzip', 'snappy', 'lz4', 'zstd']))
    .addOption(new Option('-a, --acks <acks>', 'acknowledgements').choices(['all', '-1', '0', '1']))
    .option('--tombstone', 'an empty value is sent as null (a delete marker for compacted topics)')
    .option('--json', 'each line is a JSON object {key, value, headers, partition, timestamp}')
    .option('--linger-ms <ms>', 'batching delay', int('--linger-ms'))
    .action(action(produceCommand));

  // ---------------- consume ----------------
  program
    .command('consume')
    .description('consume records and print them')
    .argument('<topic>')
    .option('-p, --partition <n>', 'only this partition', int('--partition'))
    .option('-s, --from <where>', 'start|end|<offset>|-<N from end>|<time: ms, ISO date, or 5m/2h/1d ago>', 'start')
    .option('-g, --group <id>', 'consume as a member of this consumer group (commits offsets; --from applies without a committed offset)')
    .option('-n, --max <n>', 'stop after n records', int('--max'))
    .option('-f, --follow', 'keep waiting for new records (default: stop at the end)')
    .option('--format <fmt>', `output format (kcat-style): ${FORMAT_HELP}`)
    .option('--json', 'one JSON object per line')
    .option('--idle-timeout <ms>', 'with a group and no --follow: stop after this long without records', int('--idle-timeout'), 3000)
    .action(action(consumeCommand));

  // ---------------- group ----------------
  const group = program.command('group').description('consumer groups: list, describe (lag), delete, seek');
  group
    .command('list')
    .alias('ls')
    .description('list consumer groups')
    .option('--state <state>', 'only groups in this state (repeatable)', collect)
    .action(
      action(async (o: { state?: string[] }, cmd: Command) =>
        withAdmin(cmd, async (admin, g) => {
          const groups = await admin.listGroups({ states: o.state });
          print(g.output, groups, [
            { header: 'GROUP', get: (r) => r.groupId },
            { header: 'STATE', get: (r) => r.state },
            { header: 'TYPE', get: (r) => r.protocolType || '-' },
          ]);
        }),
      ),
    );
  group
    .command('describe')
    .description('members and per-partition lag of groups')
    .argument('<groups...>')
    .action(
      action(async (ids: string[], _o: unknown, cmd: Command) =>
        withAdmin(cmd, async (admin, g) => {
          const out = [];
          let missing = 0;
          for (const id of ids) {
            const [d] = await admin.describeGroups([id]);
            if (!d || d.state === 'Dead') {
              console.error(`samsa: group ${id}: GROUP_ID_NOT_FOUND — check the group name (samsa group list)`);
              missing++;
              continue;
            }
            const lag = await admin.groupLag(id);
            out.push({ group: id, state: d.state, protocol: d.protocol, members: d.members.map((m) => ({ memberId: m.memberId, clientId: m.clientId, host: m.clientHost, assignment: m.assignment })), partitions: lag });
          }
          if (g.output !== 'table') print(g.output, [], [], out);
          else {
            for (const d of out) {
              const total = d.partitions.reduce((s, p) => s + (p.lag ?? 0n), 0n);
              process.stdout.write(`Group: ${d.group}  State: ${d.state}  Protocol: ${d.protocol || '-'}  Members: ${d.members.length}  Total lag: ${total}\n`);
              print('table', d.partitions, [
                { header: 'TOPIC', get: (p) => p.topic },
                { header: 'PARTITION', get: (p) => p.partition, align: 'right' },
                { header: 'COMMITTED', get: (p) => (p.offset < 0n ? '-' : p.offset), align: 'right' },
                { header: 'END', get: (p) => p.logEndOffset, align: 'right' },
                { header: 'LAG', get: (p) => p.lag, align: 'right' },
                { header: 'MEMBER', get: (p) => p.memberId },
                { header: 'CLIENT', get: (p) => p.clientId },
                { header: 'HOST', get: (p) => p.host },
              ]);
            }
          }
          return missing ? EXIT.KAFKA : EXIT.OK;
        }),
      ),
    );
  group
    .command('delete')
    .alias('rm')
    .description('delete consumer groups (they must have no members)')
    .argument('<groups...>')
    .action(action(async (ids: string[], _o: unknown, cmd: Command) => withAdmin(cmd, async (admin) => itemResults(await admin.deleteGroups(ids), 'cannot delete group', (n) => `deleted group ${n}`))));
  group
    .command('seek')
    .description('move a group\'s committed offsets (a dry run unless --execute; the group must have no members)')
    .argument('<group>')
    .requiredOption('-t, --topic <topic[:p,p]>', 'topic, optionally with partitions (repeatable)', collect)
    .option('--to-start', 'to the earliest offset')
    .option('--to-end', 'to the end offset')
    .option('--to-offset <n>', 'to this offset')
    .option('--to-timestamp <time>', 'to the first record at or after a time (ms, ISO date, or 5m/2h/1d ago)')
    .option('--shift-by <n>', 'move by n (negative: back)', int('--shift-by'))
    .option('--execute', 'commit the new offsets (default: show them only)')
    .action(action(seekCommand));

  // ---------------- cluster / config ----------------
  program
    .command('cluster')
    .description('cluster information')
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

  // ---------------- perf ----------------
  const perf = program.command('perf').description('load generators');
  perf
    .command('produce')
    .description('produce pre-encoded batches as fast as allowed; prints throughput and latency percentiles')
    .argument('<topic>')
    .option('-n, --records <n>', 'records to send', int('--records'), 1_000_000)
    .option('-s, --record-size <bytes>', 'value size', int('--record-size'), 100)
    .option('--rate <records/s>', 'throttle (default: unlimited)', int('--rate'))
    .option('--batch <records>', 'records per batch', int('--batch'), 500)
    .addOption(new Option('-a, --acks <acks>', 'acknowledgements').choices(['all', '-1', '0', '1']).default('1'))
    .addOption(new Option('-z, --compression <codec>', 'compression').choices(['none', 'gzip', 'snappy', 'lz4', 'zstd']).default('none'))
    .option('-P, --partitions <n>', 'create the topic with n partitions if missing', int('--partitions'), 8)
    .option('-c, --connections <n>', 'connections per broker', int('--connections'), 2)
    .option('--in-flight <n>', 'requests in flight per connection', int('--in-flight'), 8)
    .option('--json', 'print a JSON summary')
    .action(action(async (t: string, o: Record<string, unknown>, cmd: Command) => (await import('./perf.js')).perfProduce(t, o as never, globals(cmd).cluster)));
  perf
    .command('consume')
    .description('consume from the start and report throughput')
    .argument('<topic>')
    .option('-n, --records <n>', 'stop after n records (default: at the end)', int('--records'))
    .option('--json', 'print a JSON summary')
    .action(action(async (t: string, o: Record<string, unknown>, cmd: Command) => (await import('./perf.js')).perfConsume(t, o as never, globals(cmd).cluster)));
  perf
    .command('e2e')
    .description('end-to-end latency: produce at a fixed rate while a consumer reads; prints throughput and latency percentiles')
    .argument('<topic>')
    .option('-n, --records <n>', 'records to send', int('--records'), 10_000)
    .option('-s, --record-size <bytes>', 'value size (at least 12)', int('--record-size'), 100)
    .option('--rate <records/s>', 'records per second', int('--rate'), 1_000)
    .addOption(new Option('-a, --acks <acks>', 'acknowledgements').choices(['all', '-1', '0', '1']).default('1'))
    .addOption(new Option('-z, --compression <codec>', 'compression').choices(['none', 'gzip', 'snappy', 'lz4', 'zstd']).default('none'))
    .option('-P, --partitions <n>', 'create the topic with n partitions if missing', int('--partitions'), 8)
    .option('--json', 'print a JSON summary')
    .action(action(async (t: string, o: Record<string, unknown>, cmd: Command) => (await import('./perf.js')).perfE2e(t, o as never, globals(cmd).cluster)));

  return program;
}

// ---------------- produce ----------------

async function produceCommand(
  topicName: string,
  o: { file?: string; keySeparator?: string; header?: string[]; partition?: number; compression?: string; acks?: string; tombstone?: boolean; json?: boolean; lingerMs?: number },
  cmd: Command,
): Promise<number> {
  const g = globals(cmd);
  const headers = Object.entries(parseKeyValues(o.header, '--header')).map(([key, value]) => ({ key, value: Buffer.from(value) }));
  const popts = { batchSize: 262_144, ...producerOptions(g.cluster) };
  if (o.compression) popts.compression = o.compression as 'gzip';
  if (o.acks) popts.acks = o.acks === 'all' ? -1 : Number(o.acks);
  if (o.lingerMs !== undefined) popts.lingerMs = o.lingerMs;
  const producer = new Producer(clientOptions(g.cluster), popts);
  let sent = 0;
  let failed = 0;
  let firstError: unknown = null;
  let outstanding = 0;
  let lineNo = 0;
  let waitForRoom: (() => void) | null = null;
  const done = {
    resolve: () => {
      sent++;
      outstanding--;
      waitForRoom?.();
    },
    reject: (e: Error) => {
      failed++;
      firstError ??= e;
      outstanding--;
      waitForRoom?.();
    },
  };
  try {
    // Fail fast on an unknown topic / unreachable cluster before reading input.
    await producer.cluster.topic(topicName, { autoCreate: popts.allowAutoTopicCreation ?? true });
    // The reader starts after that wait: readline drops lines read before iteration begins.
    const input = o.file ? createReadStream(o.file) : process.stdin;
    const rl = createInterface({ input, crlfDelay: Infinity });
    for await (const line of rl) {
      lineNo++;
      if (line === '' && !o.tombstone && !o.json) continue;
      let rec: ProducerRecord;
      if (o.json) {
        if (!line.trim()) continue;
        let j: { key?: unknown; value?: unknown; headers?: Record<string, string>; partition?: number; timestamp?: number };
        try {
          j = JSON.parse(line);
        } catch (e) {
          throw new UsageError(`line ${lineNo}: not JSON: ${(e as Error).message}`);
        }
        const str = (v: unknown) => (v === null || v === undefined ? null : typeof v === 'string' ? v : JSON.stringify(v));
        rec = {
          topic: topicName,
          key: str(j.key),
          value: str(j.value),
          headers: [...headers, ...Object.entries(j.headers ?? {}).map(([key, value]) => ({ key, value: value === null ? null : Buffer.from(String(value)) }))],
          partition: j.partition ?? o.partition,
          timestamp: j.timestamp,
        };
      } else {
        let key: string | null = null;
        let value: string | null = line;
        if (o.keySeparator) {
          const i = line.indexOf(o.keySeparator);
          if (i >= 0) {
            key = line.slice(0, i);
            value = line.slice(i + o.keySeparator.length);
          }
        }
        if (o.tombstone && value === '') value = null;
        rec = { topic: topicName, key, value, headers, partition: o.partition };
      }
      outstanding++;
      producer.enqueue(rec, done);
      if (outstanding >= 20_000) await new Promise<void>((r) => (waitForRoom = () => outstanding < 10_000 && (waitForRoom = null, r())));
    }
    await producer.flush();
  } finally {
    await producer.close().catch(() => undefined);
  }
  console.error(`produced ${sent} record${sent === 1 ? '' : 's'} to ${topicName}${failed ? `, ${failed} failed` : ''}`);
  if (firstError) throw firstError;
  return EXIT.OK;
}

// ---------------- consume ----------------

type StartSpec = { kind: 'earliest' } | { kind: 'latest' } | { kind: 'offset'; offset: bigint } | { kind: 'fromEnd'; n: bigint } | { kind: 'time'; ms: number };

export function parseFrom(s: string): StartSpec {
  if (['start', 'beginning', 'earliest', 'first'].includes(s)) return { kind: 'earliest' };
  if (['end', 'latest', 'last'].includes(s)) return { kind: 'latest' };
  if (/^\d+$/.test(s) && s.length < 10) return { kind: 'offset', offset: BigInt(s) };
  if (/^-\d+$/.test(s)) return { kind: 'fromEnd', n: BigInt(s.slice(1)) };
  if (/^@\d+$/.test(s)) return { kind: 'time', ms: Number(s.slice(1)) };
  const t = parseTime(s);
  if (t !== null) return { kind: 'time', ms: t };
  throw new UsageError(`--from ${s}: expected start, end, an offset, -N, or a time (ms, ISO date, 5m/2h/1d ago)`);
}

async function consumeCommand(
  topicName: string,
  o: { partition?: number; from: string; group?: string; max?: number; follow?: boolean; format?: string; json?: boolean; idleTimeout: number },
  cmd: Command,
): Promise<number> {
  const g = globals(cmd);
  const spec = parseFrom(o.from);
  const render = o.json ? (r: ConsumedRecord) => recordJson(r) + '\n' : compileFormat(o.format ?? '%s\\n');
  const copts = consumerOptions(g.cluster);
  const consumer = new Consumer(clientOptions(g.cluster), { ...copts, groupId: o.group, autoOffsetReset: spec.kind === 'latest' ? 'latest' : 'earliest', maxWaitMs: 200 });
  const admin = new Admin(consumer.cluster);
  let stopping = false;
  const onSignal = () => {
    stopping = true;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let count = 0;
  try {
    const meta = await consumer.cluster.topic(topicName);
    const partitions = o.partition !== undefined ? [o.partition] : meta.partitions.map((p) => p.partition);
    if (o.partition !== undefined && !meta.partitions.some((p) => p.partition === o.partition)) throw new UsageError(`topic ${topicName} has no partition ${o.partition} (it has ${meta.partitions.length})`);
    const ends = new Map<number, bigint>();
    if (!o.follow) for (const e of await admin.listOffsets(partitions.map((partition) => ({ topic: topicName, partition, timestamp: LATEST_TIMESTAMP })))) ends.set(e.partition, e.offset);

    if (o.group) {
      if (o.partition !== undefined) throw new UsageError('--partition and --group do not go together: a group assigns partitions');
      consumer.subscribe([topicName]);
    } else {
      const starts = new Map<number, bigint>();
      if (spec.kind === 'offset') for (const p of partitions) starts.set(p, spec.offset);
      else if (spec.kind === 'time') for (const e of await admin.listOffsets(partitions.map((partition) => ({ topic: topicName, partition, timestamp: BigInt(spec.ms) })))) starts.set(e.partition, e.offset);
      else if (spec.kind === 'fromEnd') {
        const offs = await admin.topicOffsets([topicName]);
        for (const x of offs) if (partitions.includes(x.partition)) starts.set(x.partition, x.end - spec.n > x.start ? x.end - spec.n : x.start);
      }
      consumer.assign(partitions.map((partition) => ({ topic: topicName, partition, offset: starts.get(partition) ?? (spec.kind === 'latest' ? ('latest' as const) : ('earliest' as const)) })));
    }

    const done = (p: number) => {
      const end = ends.get(p);
      const pos = consumer.position(topicName, p);
      return end !== undefined && pos !== null && pos >= end;
    };
    let lastRecordAt = Date.now();
    const out: string[] = [];
    while (!stopping) {
      const records = await consumer.poll(200);
      for (const r of records) {
        if (!o.follow && r.offset >= (ends.get(r.partition) ?? -1n) && ends.has(r.partition)) continue;
        out.push(render(r));
        count++;
        if (o.max !== undefined && count >= o.max) break;
      }
      if (out.length) {
        process.stdout.write(out.join(''));
        out.length = 0;
      }
      if (records.length) lastRecordAt = Date.now();
      if (o.max !== undefined && count >= o.max) break;
      if (!o.follow) {
        if (o.group) {
          const assigned = consumer.assignment();
          if (assigned.length && assigned.every((a) => done(a.partition))) break;
          if (Date.now() - lastRecordAt > o.idleTimeout) break;
        } else if (partitions.every(done)) break;
      }
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await consumer.close().catch(() => undefined);
  }
  if (!o.json && !o.format && process.stderr.isTTY) console.error(`consumed ${count} records`);
  return EXIT.OK;
}

// ---------------- group seek ----------------

async function seekCommand(
  groupId: string,
  o: { topic: string[]; toStart?: boolean; toEnd?: boolean; toOffset?: string; toTimestamp?: string; shiftBy?: number; execute?: boolean },
  cmd: Command,
): Promise<number> {
  const modes = [o.toStart, o.toEnd, o.toOffset !== undefined, o.toTimestamp !== undefined, o.shiftBy !== undefined].filter(Boolean).length;
  if (modes !== 1) throw new UsageError('give exactly one of --to-start, --to-end, --to-offset, --to-timestamp, --shift-by');
  return withAdmin(cmd, async (admin, g) => {
    const [desc] = await admin.describeGroups([groupId]);
    if (o.execute && desc && !['Empty', 'Dead'].includes(desc.state)) {
      console.error(`samsa: group ${groupId} is ${desc.state} with ${desc.members.length} member(s) — stop its consumers first, then seek`);
      return EXIT.KAFKA;
    }
    const parts: { topic: string; partition: number }[] = [];
    for (const spec of o.topic) {
      const [name, list] = spec.split(':') as [string, string | undefined];
      const meta = await admin.cluster.topic(name);
      const ps = list ? list.split(',').map(Number) : meta.partitions.map((p) => p.partition);
      for (const p of ps) parts.push({ topic: name, partition: p });
    }
    const offsets = await admin.topicOffsets([...new Set(parts.map((p) => p.topic))]);
    const committed = await admin.fetchOffsets(groupId, [...new Set(parts.map((p) => p.topic))].map((topic) => ({ topic, partitions: parts.filter((p) => p.topic === topic).map((p) => p.partition) })));
    let byTime: Map<string, bigint> | null = null;
    if (o.toTimestamp !== undefined) {
      const ms = parseTime(o.toTimestamp);
      if (ms === null) throw new UsageError(`--to-timestamp ${o.toTimestamp}: expected ms, an ISO date or a duration ago`);
      byTime = new Map((await admin.listOffsets(parts.map((p) => ({ ...p, timestamp: BigInt(ms) })))).map((x) => [`${x.topic}:${x.partition}`, x.offset]));
    }
    const rows = parts.map((p) => {
      const range = offsets.find((x) => x.topic === p.topic && x.partition === p.partition)!;
      const cur = committed.find((c) => c.topic === p.topic && c.partition === p.partition)?.offset ?? -1n;
      let target: bigint;
      if (o.toStart) target = range.start;
      else if (o.toEnd) target = range.end;
      else if (o.toOffset !== undefined) target = BigInt(o.toOffset);
      else if (byTime) target = byTime.get(`${p.topic}:${p.partition}`) ?? range.end;
      else target = (cur >= 0n ? cur : range.start) + BigInt(o.shiftBy!);
      if (target < range.start) target = range.start;
      if (target > range.end) target = range.end;
      return { topic: p.topic, partition: p.partition, current: cur < 0n ? null : cur, target };
    });
    if (o.execute) {
      const res = await admin.commitOffsets(groupId, rows.map((r) => ({ topic: r.topic, partition: r.partition, offset: r.target })));
      const bad = res.filter((r) => r.errorCode !== 0);
      for (const b of bad) console.error(`samsa: ${b.topic}[${b.partition}]: ${new KafkaError(b.errorCode).message}`);
      if (bad.length) return EXIT.KAFKA;
    }
    print(g.output, rows, [
      { header: 'TOPIC', get: (r) => r.topic },
      { header: 'PARTITION', get: (r) => r.partition, align: 'right' },
      { header: 'CURRENT', get: (r) => r.current, align: 'right' },
      { header: 'NEW', get: (r) => r.target, align: 'right' },
    ]);
    if (!o.execute) console.error('dry run: pass --execute to commit these offsets');
    return EXIT.OK;
  });
}

export async function runCli(argv: string[]): Promise<void> {
  // `samsa ... | head`: a closed pipe ends the command quietly.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode === 0 || e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help' ? 0 : EXIT.USAGE;
      return;
    }
    process.exitCode = reportError(e);
  }
}

export { EARLIEST_TIMESTAMP };
