import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ensureMetaProperties, readMetaProperties, storedClusterId } from '../../../../src/broker/metadata/meta-properties.js';

const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'samsa-meta-'));
  dirs.push(d);
  return d;
}

test('written where missing, in every log dir (created if needed), and read back', async () => {
  const a = await tempDir();
  const b = join(await tempDir(), 'not-yet');
  await ensureMetaProperties([a, b], 3, 'cluster-a-000000000000');
  for (const d of [a, b]) assert.deepEqual(await readMetaProperties(d), { clusterId: 'cluster-a-000000000000', nodeId: 3 });
  assert.equal(await storedClusterId([a, b]), 'cluster-a-000000000000');
  assert.equal(await readMetaProperties(await tempDir()), undefined);
});

test("a log dir of another cluster or another node is refused, naming both, and nothing is rewritten", async () => {
  const mine = await tempDir();
  const other = await tempDir();
  await ensureMetaProperties([mine], 1, 'cluster-a-000000000000');
  await ensureMetaProperties([other], 1, 'cluster-b-000000000000');
  const before = await readFile(join(other, 'meta.properties'), 'utf8');
  await assert.rejects(ensureMetaProperties([mine, other], 1, 'cluster-a-000000000000'), /cluster id cluster-a-000000000000 does not match the cluster id cluster-b-000000000000 stored in .*another cluster/);
  await assert.rejects(ensureMetaProperties([mine], 2, 'cluster-a-000000000000'), /Stored node id 1 .* doesn't match node.id 2/);
  assert.equal(await readFile(join(other, 'meta.properties'), 'utf8'), before);
  assert.deepEqual(await readMetaProperties(mine), { clusterId: 'cluster-a-000000000000', nodeId: 1 });
});

test("Kafka's own file (comments, directory.id, spaces) is read", async () => {
  const d = await tempDir();
  await writeFile(join(d, 'meta.properties'), '#\n#Tue Dec 01 10:00:00 UTC 2026\nnode.id = 5\ndirectory.id=abc\nversion=1\ncluster.id=k-cluster-0000000000000\n');
  assert.deepEqual(await readMetaProperties(d), { clusterId: 'k-cluster-0000000000000', nodeId: 5 });
  await ensureMetaProperties([d], 5, 'k-cluster-0000000000000');
  assert.match(await readFile(join(d, 'meta.properties'), 'utf8'), /directory\.id=abc/, 'a matching file is left as it is');
});
