// The built `samsa` CLI (dist/src/cli/samsa.js) as a child process against an in-process broker.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBroker, type RunningBroker } from '../../src/index.js';

const CLI = join(dirname(fileURLToPath(import.meta.url)), '../../src/cli/samsa.js');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function samsa(args: string[], options: { input?: string; env?: Record<string, string | undefined>; timeoutMs?: number } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      if (child.pid) process.kill(child.pid, 'SIGKILL');
      reject(new Error(`samsa ${args.join(' ')} timed out\n${stderr}`));
    }, options.timeoutMs ?? 15_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** A running `samsa` whose output can be waited for before it ends. */
function spawnSamsa(args: string[], env: Record<string, string | undefined>, timeoutMs = 15_000) {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const waiters: (() => void)[] = [];
  child.stdout.on('data', (d) => {
    stdout += d;
    for (const w of waiters.splice(0)) w();
  });
  child.stderr.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const done = new Promise<Run>((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      for (const w of waiters.splice(0)) w();
      resolve({ code: code ?? -1, stdout, stderr });
    }),
  );
  const waitForStdout = async (text: string) => {
    while (!stdout.includes(text)) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`samsa ${args.join(' ')} ended before printing ${JSON.stringify(text)}\n${stderr}`);
      await new Promise<void>((r) => waiters.push(r));
    }
  };
  return { done, waitForStdout };
}

describe('samsa CLI', () => {
  let broker: RunningBroker;
  let dir: string;
  let env: Record<string, string | undefined>;
  const run = (args: string[], input?: string) => samsa(args, { input, env });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'samsa-cli-'));
    broker = await startBroker({ config: { 'group.initial.rebalance.delay.ms': 0, 'num.partitions': 1 } });
    env = { SAMSA_BROKERS: broker.bootstrap, SAMSA_CONFIG: join(dir, 'none.json'), SAMSA_PROFILE: undefined };
  });
  after(async () => {
    await broker?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('topic create / list / describe / alter-config / add-partitions / delete', async () => {
    let r = await run(['topic', 'create', 'cli-a', 'cli-b', '-p', '3', '-c', 'retention.ms=3600000']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /created topic cli-a/);
    r = await run(['topic', 'create', 'cli-a', '-p', '3']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /TOPIC_ALREADY_EXISTS.*--if-not-exists/);
    r = await run(['topic', 'create', 'cli-a', '-p', '3', '--if-not-exists']);
    assert.equal(r.code, 0, r.stderr);
    r = await run(['topic', 'create', 'cli-dry', '--dry-run']);
    assert.equal(r.code, 0, r.stderr);

    r = await run(['topic', 'list']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^TOPIC\s+PARTITIONS\s+REPLICAS\n/);
    assert.match(r.stdout, /cli-a\s+3\s+1/);
    r = await run(['topic', 'list', '-o', 'json']);
    const listed = JSON.parse(r.stdout) as { name: string; partitions: number }[];
    assert.deepEqual(listed.filter((t) => t.name.startsWith('cli-')).map((t) => [t.name, t.partitions]), [['cli-a', 3], ['cli-b', 3]]);
    r = await run(['topic', 'list', '-o', 'yaml']);
    assert.match(r.stdout, /- name: cli-a\n {2}partitions: 3\n/);

    r = await run(['topic', 'describe', 'cli-a', '-o', 'json']);
    const [desc] = JSON.parse(r.stdout) as { name: string; partitions: { partition: number; leader: number; endOffset: number }[]; configs: Record<string, string> }[];
    assert.equal(desc!.partitions.length, 3);
    assert.equal(desc!.configs['retention.ms'], '3600000');

    r = await run(['topic', 'alter-config', 'cli-a', '--set', 'cleanup.policy=compact', '--delete', 'retention.ms']);
    assert.equal(r.code, 0, r.stderr);
    r = await run(['topic', 'describe', 'cli-a', '-o', 'json']);
    assert.deepEqual(JSON.parse(r.stdout)[0].configs, { 'cleanup.policy': 'compact' });

    r = await run(['topic', 'add-partitions', 'cli-b', '-p', '4']);
    assert.equal(r.code, 0, r.stderr);
    r = await run(['topic', 'add-partitions', 'cli-b', '-p', '2']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /INVALID_PARTITIONS/);

    r = await run(['topic', 'delete', 'cli-b']);
    assert.equal(r.code, 0, r.stderr);
    r = await run(['topic', 'describe', 'cli-b']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /UNKNOWN_TOPIC_OR_PARTITION/);
    r = await run(['topic', 'delete', 'cli-b', '--if-exists']);
    assert.equal(r.code, 0, r.stderr);
  });

  test('produce from stdin, consume with --format, --json, offsets', async () => {
    await run(['topic', 'create', 'cli-pc', '-p', '2']);
    const lines = Array.from({ length: 20 }, (_, i) => `key${i}:value ${i}`);
    let r = await run(['produce', 'cli-pc', '-k', ':', '-H', 'src=cli', '-H', 'n=1'], lines.join('\n') + '\n');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /produced 20 records to cli-pc/);
    r = await run(['consume', 'cli-pc', '--format', '%k=%s|%h|%t\\n']);
    assert.equal(r.code, 0, r.stderr);
    const got = r.stdout.trimEnd().split('\n').sort();
    assert.deepEqual(got, Array.from({ length: 20 }, (_, i) => `key${i}=value ${i}|src=cli,n=1|cli-pc`).sort());

    // Partitions follow the key (Java's murmur2): the same key twice → the same partition.
    r = await run(['consume', 'cli-pc', '--json']);
    const recs = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { key: string; value: string; partition: number; offset: number; headers: Record<string, string> });
    assert.equal(recs.length, 20);
    assert.deepEqual(recs[0]!.headers, { src: 'cli', n: '1' });

    r = await run(['consume', 'cli-pc', '-n', '3', '--format', '%o\\n']);
    assert.equal(r.stdout.trimEnd().split('\n').length, 3);
    // -N from the end of one partition.
    const p0 = recs.filter((x) => x.partition === 0);
    r = await run(['consume', 'cli-pc', '-p', '0', '--from', '-2', '--format', '%o %s\\n']);
    assert.deepEqual(r.stdout.trimEnd().split('\n'), p0.slice(-2).map((x) => `${x.offset} ${x.value}`));
    r = await run(['consume', 'cli-pc', '-p', '0', '--from', String(p0.length - 1), '--format', '%s\\n']);
    assert.equal(r.stdout, `${p0.at(-1)!.value}\n`);
    r = await run(['consume', 'cli-pc', '--from', 'end']);
    assert.equal(r.stdout, '');

    // JSON input, tombstones.
    r = await run(['produce', 'cli-pc', '--json', '-p', '1'], '{"key":"j","value":{"a":1},"headers":{"h":"x"}}\n{"key":"t","value":null}\n');
    assert.equal(r.code, 0, r.stderr);
    r = await run(['consume', 'cli-pc', '-p', '1', '--from', '-2', '--json']);
    const tail = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(tail.map((x) => [x.key, x.value, x.headers]), [['j', '{"a":1}', { h: 'x' }], ['t', null, {}]]);
  });

  test('consume as a group member, then group list / describe / seek / delete', async () => {
    await run(['topic', 'create', 'cli-g', '-p', '3']);
    await run(['produce', 'cli-g', '-k', ','], Array.from({ length: 30 }, (_, i) => `k${i},v${i}`).join('\n'));
    let r = await run(['consume', 'cli-g', '-g', 'cli-group', '--format', '%s\\n']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trimEnd().split('\n').length, 30);

    r = await run(['group', 'list', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const groups = JSON.parse(r.stdout) as { groupId: string; state: string }[];
    assert.deepEqual(groups.find((g) => g.groupId === 'cli-group'), { groupId: 'cli-group', protocolType: 'consumer', state: 'Empty', type: 'classic' });
    r = await run(['group', 'list']);
    assert.match(r.stdout, /cli-group\s+Empty\s+consumer/);

    r = await run(['group', 'describe', 'cli-group', '-o', 'json']);
    const [d] = JSON.parse(r.stdout) as { partitions: { partition: number; offset: number; logEndOffset: number; lag: number }[] }[];
    assert.equal(d!.partitions.length, 3);
    assert.equal(d!.partitions.reduce((s, p) => s + p.offset, 0), 30);
    assert.ok(d!.partitions.every((p) => p.lag === 0));
    r = await run(['group', 'describe', 'cli-group']);
    assert.match(r.stdout, /Total lag: 0/);

    // The group consumes nothing more: everything committed.
    r = await run(['consume', 'cli-g', '-g', 'cli-group', '--idle-timeout', '500']);
    assert.equal(r.stdout, '');

    r = await run(['group', 'seek', 'cli-group', '-t', 'cli-g', '--to-start']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /dry run/);
    r = await run(['group', 'describe', 'cli-group', '-o', 'json']);
    assert.ok(JSON.parse(r.stdout)[0].partitions.every((p: { lag: number }) => p.lag === 0), 'dry run changed nothing');
    r = await run(['group', 'seek', 'cli-group', '-t', 'cli-g', '--shift-by', '-2', '--execute', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    r = await run(['group', 'describe', 'cli-group', '-o', 'json']);
    assert.equal(JSON.parse(r.stdout)[0].partitions.reduce((s: number, p: { lag: number }) => s + p.lag, 0), 6);
    r = await run(['consume', 'cli-g', '-g', 'cli-group', '--format', '%s\\n']);
    assert.equal(r.stdout.trimEnd().split('\n').length, 6);

    r = await run(['group', 'delete', 'cli-group']);
    assert.equal(r.code, 0, r.stderr);
    r = await run(['group', 'describe', 'cli-group']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /GROUP_ID_NOT_FOUND/);
  });

  test('cluster info, config get, profiles, exit codes', async () => {
    let r = await run(['cluster', 'info', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const info = JSON.parse(r.stdout);
    assert.equal(info.brokers[0].port, broker.port);
    r = await run(['config', 'get', String(info.brokers[0].nodeId), 'num.partitions', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout)[0].value, '1');

    // A profile names the cluster when neither -b nor SAMSA_BROKERS does.
    const profiles = join(dir, 'profiles.json');
    await writeFile(profiles, JSON.stringify({ default: 'nowhere', profiles: { nowhere: { brokers: '127.0.0.1:1' }, test: { brokers: broker.bootstrap, settings: { 'client.id': 'profiled' } } } }));
    const [viaEnv, viaFlag, viaDefault, missing] = await Promise.all([
      samsa(['topic', 'list'], { env: { SAMSA_CONFIG: profiles, SAMSA_BROKERS: undefined, SAMSA_PROFILE: 'test' } }),
      samsa(['--profile', 'test', 'cluster', 'info'], { env: { SAMSA_CONFIG: profiles, SAMSA_BROKERS: undefined, SAMSA_PROFILE: undefined } }),
      samsa(['topic', 'list'], { env: { SAMSA_CONFIG: profiles, SAMSA_BROKERS: undefined, SAMSA_PROFILE: undefined } }),
      samsa(['--profile', 'missing', 'topic', 'list'], { env: { SAMSA_CONFIG: profiles } }),
    ]);
    assert.equal(viaEnv.code, 0, viaEnv.stderr);
    assert.equal(viaFlag.code, 0, viaFlag.stderr);
    assert.equal(viaDefault.code, 3, 'the default profile points nowhere');
    assert.match(viaDefault.stderr, /cannot reach any bootstrap broker/);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /no profile "missing"/);

    const [unreachable, unknownCommand, badFrom, badSetting, help] = await Promise.all([
      run(['--bootstrap-server', '127.0.0.1:1', 'topic', 'list']),
      run(['topic', 'frobnicate']),
      run(['consume', 'cli-a', '--from', 'whenever']),
      run(['-X', 'no.such.setting=1', 'topic', 'list']),
      run(['--help']),
    ]);
    assert.equal(unreachable.code, 3);
    assert.equal(unknownCommand.code, 2);
    assert.equal(badFrom.code, 2);
    assert.equal(badSetting.code, 2);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /start/);
  });

  test('Kafka console-tool flags: kafka-topics style', async () => {
    let r = await run(['topic', '--create', '--topic', 'kc-t', '--partitions', '2', '--replication-factor', '1', '--config', 'retention.ms=3600000']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, 'created topic kc-t\n');
    r = await run(['topic', '--create', '--topic', 'kc-t', '--partitions', '2']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /TOPIC_ALREADY_EXISTS/);
    r = await run(['topic', '--create', '--topic', 'kc-t', '--if-not-exists']);
    assert.equal(r.code, 0, r.stderr);
    // --bootstrap-server where the Kafka tools take it, over SAMSA_BROKERS.
    r = await samsa(['topic', '--list', '--bootstrap-server', broker.bootstrap], { env: { ...env, SAMSA_BROKERS: '127.0.0.1:1' } });
    assert.match(r.stdout, /^kc-t\s+2\s+1$/m);
    r = await run(['topic', '--describe', '--topic', 'kc-t', '-o', 'json']);
    const [d] = JSON.parse(r.stdout);
    assert.deepEqual([d.name, d.partitions.length, d.configs], ['kc-t', 2, { 'retention.ms': '3600000' }]);
    r = await run(['topic', '--describe', '-o', 'json']);
    assert.ok(JSON.parse(r.stdout).some((t: { name: string }) => t.name === 'kc-t'), 'without --topic: every topic');
    r = await run(['topic', '--alter', '--topic', 'kc-t', '--partitions', '3']);
    assert.equal(r.stderr, 'kc-t now has 3 partitions\n');
    r = await run(['topic', '--delete', '--topic', 'kc-t']);
    assert.equal(r.stderr, 'deleted topic kc-t\n');
    r = await run(['topic', '--delete', '--topic', 'kc-t', '--if-exists']);
    assert.equal(r.code, 0, r.stderr);

    const [twoModes, noTopic, stray, unknown] = await Promise.all([
      run(['topic', '--list', '--delete']),
      run(['topic', '--create']),
      run(['topic', '--describe', 'kc-t']),
      run(['topic', 'crate']),
    ]);
    assert.deepEqual([twoModes.code, noTopic.code, stray.code, unknown.code], [2, 2, 2, 2]);
    assert.match(twoModes.stderr, /give one of --create, --list, --describe, --delete, --alter/);
    assert.match(noTopic.stderr, /--create needs --topic/);
    assert.match(unknown.stderr, /unknown command 'crate'\n\(Did you mean create\?\)/);
  });

  test('Kafka console-tool flags: console producer and consumer, consumer groups', async () => {
    await run(['topic', 'create', 'kc', '-p', '1']);
    let r = await run(['produce', '--topic', 'kc', '--property', 'parse.key=true', '--property', 'key.separator=:'], 'k1:v1\nk2:v2\n');
    assert.equal(r.code, 0, r.stderr);
    r = await run(['produce', '--topic', 'kc', '--reader-property', 'parse.headers=true', '--property', 'parse.key=true', '--property', 'null.marker=NULL'], 'h1:a,h2:b\tk3\tv3\nNULL\tNULL\tv4\n');
    assert.equal(r.code, 0, r.stderr);

    // kafka-console-consumer starts at the end without --from-beginning.
    r = await run(['consume', '--topic', 'kc', '--timeout-ms', '300']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, 'Processed a total of 0 messages\n');
    r = await run(['consume', '--topic', 'kc', '--from-beginning', '--max-messages', '2']);
    assert.equal(r.stdout, 'v1\nv2\n');
    assert.equal(r.stderr, 'Processed a total of 2 messages\n');
    r = await run(['consume', '--topic', 'kc', '--from-beginning', '--max-messages', '4', '--property', 'print.key=true']);
    assert.equal(r.stdout, 'k1\tv1\nk2\tv2\nk3\tv3\nnull\tv4\n');
    r = await run(['consume', '--topic', 'kc', '--partition', '0', '--offset', '2', '--max-messages', '2', '--formatter-property', 'print.key=true', '--property', 'key.separator= | ',
      '--property', 'print.partition=true', '--property', 'print.offset=true', '--property', 'print.headers=true', '--property', 'print.value=false', '--property', 'null.literal=-']);
    assert.equal(r.stdout, 'Partition:0 | Offset:2 | h1:a,h2:b | k3\nPartition:0 | Offset:3 | NO_HEADERS | -\n');
    const [first] = (await run(['consume', 'kc', '--json', '-n', '1'])).stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    r = await run(['consume', '--topic', 'kc', '--partition', '0', '--offset', 'earliest', '--max-messages', '1', '--property', 'print.timestamp=true']);
    assert.equal(r.stdout, `CreateTime:${first.timestamp}\tv1\n`);
    // Our positional form keeps its own default: from the start, to the end.
    r = await run(['consume', 'kc', '--from-beginning']);
    assert.equal(r.stdout, 'v1\nv2\nv3\nv4\n');

    // Without --max-messages reached, the --topic form follows the log: a record produced later still arrives.
    const follower = spawnSamsa(['consume', '--topic', 'kc', '--from-beginning', '--max-messages', '5'], env);
    await follower.waitForStdout('v4\n');
    await run(['produce', 'kc'], 'v5\n');
    const followed = await follower.done;
    assert.equal(followed.stdout, 'v1\nv2\nv3\nv4\nv5\n');

    // As a group: committed offsets, then kafka-consumer-groups' flags.
    r = await run(['consume', '--topic', 'kc', '--group', 'kc-g', '--from-beginning', '--max-messages', '5']);
    assert.equal(r.stdout, 'v1\nv2\nv3\nv4\nv5\n');
    r = await run(['group', '--list']);
    assert.match(r.stdout, /^kc-g\s+Empty\s+consumer$/m);
    r = await run(['group', '--describe', '--group', 'kc-g', '-o', 'json']);
    assert.deepEqual(JSON.parse(r.stdout)[0].partitions.map((p: { offset: number; lag: number }) => [p.offset, p.lag]), [[5, 0]]);
    r = await run(['group', '--reset-offsets', '--group', 'kc-g', '--topic', 'kc', '--to-earliest']);
    assert.match(r.stderr, /dry run/);
    r = await run(['group', '--reset-offsets', '--group', 'kc-g', '--topic', 'kc:0', '--shift-by', '-2', '--execute', '-o', 'json']);
    assert.deepEqual(JSON.parse(r.stdout), [{ topic: 'kc', partition: 0, current: 5, target: 3 }]);
    r = await run(['consume', '--topic', 'kc', '--group', 'kc-g', '--timeout-ms', '1000']);
    assert.equal(r.stdout, 'v4\nv5\n');
    r = await run(['group', '--delete', '--group', 'kc-g']);
    assert.equal(r.stderr, 'deleted group kc-g\n');

    const [badFormatter, badReader, noPartition, noSeparator, both, noGroup] = await Promise.all([
      run(['consume', '--topic', 'kc', '--property', 'print.keys=true']),
      run(['produce', '--topic', 'kc', '--property', 'parse.kye=true'], 'x\n'),
      run(['consume', '--topic', 'kc', '--offset', '1']),
      run(['produce', '--topic', 'kc', '--property', 'parse.key=true'], 'no-separator\n'),
      run(['consume', 'kc', '--topic', 'other']),
      run(['group', '--describe']),
    ]);
    for (const x of [badFormatter, badReader, noPartition, noSeparator, both, noGroup]) assert.equal(x.code, 2, x.stderr);
    assert.match(badFormatter.stderr, /unknown --property print\.keys for the consumer/);
    assert.match(badReader.stderr, /unknown --property parse\.kye for the producer/);
    assert.match(noPartition.stderr, /--offset needs --partition/);
    assert.match(noSeparator.stderr, /no key separator found on line number 1: 'no-separator'/);
    assert.match(both.stderr, /two topics given: kc and --topic other/);
    assert.match(noGroup.stderr, /--describe needs --group/);
  });

  test('perf produce and consume (small)', async () => {
    let r = await run(['perf', 'produce', 'cli-perf', '-n', '20000', '-s', '100', '-P', '2', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout);
    assert.equal(s.records, 20000);
    assert.equal(s.errors, 0);
    assert.ok(s.latencyMs.p99 >= s.latencyMs.p50);
    r = await run(['perf', 'consume', 'cli-perf', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).records, 20000);
  });

  test('perf e2e: end-to-end latency at a fixed rate (small)', async () => {
    const r = await run(['perf', 'e2e', 'cli-perf-e2e', '-n', '2000', '--rate', '2000', '-s', '64', '-P', '2', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout);
    assert.equal(s.records, 2000);
    assert.equal(s.sent, 2000);
    assert.equal(s.acknowledged, 2000);
    assert.equal(s.received, 2000);
    assert.equal(s.missing, 0);
    assert.equal(s.duplicates, 0);
    assert.equal(s.errors, 0);
    assert.equal(s.partitions, 2);
    assert.ok(s.seconds >= 0.9, `2,000 records at 2,000/s take about 1 s, not ${s.seconds}`);
    const l = s.latencyMs;
    for (const k of ['p50', 'p95', 'p99', 'p999', 'max']) assert.equal(typeof l[k], 'number', k);
    assert.ok(l.p50 > 0 && l.p50 <= l.p95 && l.p95 <= l.p99 && l.p99 <= l.p999 && l.p999 <= l.max, JSON.stringify(l));
  });
});
