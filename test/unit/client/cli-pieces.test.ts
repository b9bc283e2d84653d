import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileFormat, parseTime } from '../../../src/cli/format.js';
import { table, toYaml, toJson } from '../../../src/cli/output.js';
import { resolveCluster, parseKeyValues, UsageError, producerOptions, consumerOptions } from '../../../src/cli/settings.js';
import { parseFrom } from '../../../src/cli/commands.js';

const rec = { topic: 't', partition: 2, offset: 41n, timestamp: 1_700_000_000_000n, timestampType: 0, key: Buffer.from('k'), value: Buffer.from('hello'), headers: [{ key: 'a', value: Buffer.from('1') }, { key: 'b', value: null }] };

test('kcat-style formats', () => {
  assert.equal(compileFormat('%t/%p@%o %k=%s (%K,%S) [%h] %T 100%%\\n')(rec), 't/2@41 k=hello (1,5) [a=1,b=] 1700000000000 100%\n');
  assert.equal(compileFormat('%s')({ ...rec, key: null, value: null }), '');
  assert.equal(compileFormat('%K %S')({ ...rec, key: null, value: null }), '-1 -1');
  assert.throws(() => compileFormat('%z'), /unknown format token %z/);
});

test('--from and times', () => {
  const now = Date.UTC(2024, 0, 1);
  assert.deepEqual(parseFrom('start'), { kind: 'earliest' });
  assert.deepEqual(parseFrom('end'), { kind: 'latest' });
  assert.deepEqual(parseFrom('42'), { kind: 'offset', offset: 42n });
  assert.deepEqual(parseFrom('-10'), { kind: 'fromEnd', n: 10n });
  assert.deepEqual(parseFrom('@1700000000000'), { kind: 'time', ms: 1700000000000 });
  assert.equal(parseTime('5m', now), now - 300_000);
  assert.equal(parseTime('2024-01-01T00:00:00Z', now), now);
  assert.equal(parseTime('1700000000000', now), 1700000000000);
  assert.throws(() => parseFrom('soon'), UsageError);
});

test('table, json and yaml output', () => {
  const rows = [{ a: 'x', n: 1n }, { a: 'longer', n: 1234n }];
  assert.equal(table(rows, [{ header: 'NAME', get: (r) => r.a }, { header: 'N', get: (r) => r.n, align: 'right' }]), 'NAME       N\nx          1\nlonger  1234\n');
  assert.equal(toJson({ big: 2n ** 70n, small: 5n }, false), '{"big":"1180591620717411303424","small":5}');
  assert.equal(toYaml([{ name: 't', partitions: [0, 1], cfg: {}, v: null, s: '1.5', t: 'true' }]), '- name: t\n  partitions:\n  - 0\n  - 1\n  cfg: {}\n  v: null\n  s: "1.5"\n  t: "true"\n');
});

test('brokers: -b, then SAMSA_BROKERS, then the profile, then localhost', () => {
  const dir = dirname(fileURLToPath(import.meta.url));
  const env = { SAMSA_CONFIG: join(dir, 'no-such-profiles.json') };
  assert.deepEqual(resolveCluster({ brokers: 'a:1,b:2' }, env).brokers, ['a:1', 'b:2']);
  assert.deepEqual(resolveCluster({}, { ...env, SAMSA_BROKERS: 'c:3' }).brokers, ['c:3']);
  assert.deepEqual(resolveCluster({}, env).brokers, ['localhost:9092']);
  assert.throws(() => resolveCluster({ profile: 'x' }, env), /no profile "x"/);
  const r = resolveCluster({ set: ['acks=all', 'linger.ms=20', 'auto.offset.reset=earliest', 'partition.assignment.strategy=cooperative-sticky'] }, env);
  assert.deepEqual(producerOptions(r), { acks: -1, lingerMs: 20 });
  assert.deepEqual(consumerOptions(r), { autoOffsetReset: 'earliest', assignors: ['cooperative-sticky'] });
  assert.deepEqual(parseKeyValues(['a=b=c'], 'x'), { a: 'b=c' });
  assert.throws(() => parseKeyValues(['nokey'], '-X'), UsageError);
});

test('layering: the client and the CLI commands never import broker or storage code', () => {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../../src');
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:import|export)[^'"]*?from\s+'(\.[^']+)'|import\('(\.[^']+)'\)/g)) visit(resolve(dirname(file), m[1] ?? m[2]!));
  };
  visit(join(root, 'cli/commands.js'));
  visit(join(root, 'client/index.js'));
  const bad = [...seen].filter((f) => /[/\\](broker|storage|coordinators)[/\\]/.test(f));
  assert.deepEqual(bad, []);
  assert.ok(!seen.has(join(root, 'cli/start.js')));
});
