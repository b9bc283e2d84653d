/** `samsa group ...`: list, describe (with lag), delete and seek consumer groups; kafka-consumer-groups' flags too. */
import { Command } from 'commander';
import { KafkaError } from '../../client/index.js';
import { parseTime } from '../format.js';
import { print } from '../output.js';
import { UsageError } from '../settings.js';
import { acceptKafkaToolFlags, action, collect, EXIT, flagOf, int, itemResults, withAdmin } from './common.js';

export function registerGroupCommands(program: Command): void {
  const group = program.command('group').description('consumer groups: list, describe (lag), delete, seek');
  group
    .command('list')
    .alias('ls')
    .description('list consumer groups')
    .option('--state <state>', 'only groups in this state (repeatable)', collect)
    .action(action(listGroups));
  group
    .command('describe')
    .description('members and per-partition lag of groups')
    .argument('<groups...>')
    .action(action(describeGroups));
  group
    .command('delete')
    .alias('rm')
    .description('delete consumer groups (they must have no members)')
    .argument('<groups...>')
    .action(action(deleteGroups));
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

  // Last: commander copies a command's settings into the subcommands created after them.
  acceptKafkaToolFlags(group, {
    tool: 'kafka-consumer-groups',
    modes: ['list', 'describe', 'delete', 'resetOffsets'],
    nameWith: '--group',
    define: (p) =>
      p
        .option('--list', '= group list')
        .option('--describe', '= group describe')
        .option('--delete', '= group delete')
        .option('--reset-offsets', '= group seek')
        .option('--group <id>', 'the group (repeatable)', collect)
        .option('--topic <topic[:p,p]>', 'with --reset-offsets: topic, optionally with partitions (repeatable)', collect)
        .option('--to-earliest', '= seek --to-start')
        .option('--to-latest', '= seek --to-end')
        .option('--to-offset <n>', '= seek --to-offset')
        .option('--to-datetime <time>', '= seek --to-timestamp')
        .option('--shift-by <n>', '= seek --shift-by', int('--shift-by'))
        .option('--dry-run', 'show the new offsets only (the default)')
        .option('--execute', 'commit the new offsets'),
    run: kafkaConsumerGroups,
  });
}

async function listGroups(o: { state?: string[] }, cmd: Command): Promise<void> {
  return withAdmin(cmd, async (admin, g) => {
    const groups = await admin.listGroups({ states: o.state });
    print(g.output, groups, [
      { header: 'GROUP', get: (r) => r.groupId },
      { header: 'STATE', get: (r) => r.state },
      { header: 'TYPE', get: (r) => r.protocolType || '-' },
    ]);
  });
}

async function describeGroups(ids: string[], _o: unknown, cmd: Command): Promise<number> {
  return withAdmin(cmd, async (admin, g) => {
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
  });
}

async function deleteGroups(ids: string[], _o: unknown, cmd: Command): Promise<number> {
  return withAdmin(cmd, async (admin) => itemResults(await admin.deleteGroups(ids), 'cannot delete group', (n) => `deleted group ${n}`));
}

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

interface KafkaGroupsOpts {
  group?: string[];
  topic?: string[];
  toEarliest?: boolean;
  toLatest?: boolean;
  toOffset?: string;
  toDatetime?: string;
  shiftBy?: number;
  dryRun?: boolean;
  execute?: boolean;
}

/** `samsa group --describe --group g`, as kafka-consumer-groups is typed, run by the subcommands' code. */
async function kafkaConsumerGroups(mode: 'list' | 'describe' | 'delete' | 'resetOffsets', o: KafkaGroupsOpts, cmd: Command): Promise<number | void> {
  const groups = o.group ?? [];
  if (mode !== 'list' && !groups.length) throw new UsageError(`${flagOf(mode)} needs --group <id>`);
  if (o.dryRun && o.execute) throw new UsageError('give one of --dry-run, --execute');
  switch (mode) {
    case 'list':
      return listGroups({}, cmd);
    case 'describe':
      return describeGroups(groups, undefined, cmd);
    case 'delete':
      return deleteGroups(groups, undefined, cmd);
    case 'resetOffsets':
      if (groups.length > 1) throw new UsageError('--reset-offsets takes one --group');
      if (!o.topic?.length) throw new UsageError('--reset-offsets needs --topic <topic[:p,p]>');
      return seekCommand(groups[0]!, { topic: o.topic, toStart: o.toEarliest, toEnd: o.toLatest, toOffset: o.toOffset, toTimestamp: o.toDatetime, shiftBy: o.shiftBy, execute: o.execute }, cmd);
  }
}
