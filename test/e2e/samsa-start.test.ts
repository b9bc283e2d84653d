// `samsa start` as users run it: a child process with a server.properties file and overrides,
// one banner line, a first connection accepted quickly, a clean stop on SIGTERM, and a start
// that fails naming the bad key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile, stat } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// The package's bin (the bundle npm run build makes), as `npx samsa` runs it.
const BIN = fileURLToPath(new URL('../../cli/samsa.js', import.meta.url));

test('samsa start with a properties file and --override, banner, SIGTERM', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'samsa-start-'));
  const props = join(dir, 'server.properties');
  await writeFile(props, `# a Kafka-style file\nnode.id=3\nlog.dirs=${join(dir, 'logs')}\nnum.partitions=2\nsome.unknown.key=1\n`);
  const child = spawn(process.execPath, [BIN, 'start', props, '--override', 'listeners=PLAINTEXT://127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    let out = '';
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    const banner = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d) => {
        out += d;
        if (out.includes('\n')) resolve(out.split('\n')[0]!);
      });
      child.once('exit', (code) => reject(new Error(`exited ${code}: ${err}`)));
    });
    assert.match(banner, /^samsa \S+ node 3 cluster \S+ listening on PLAINTEXT:\/\/127\.0\.0\.1:\d+, log dirs .*logs, flush durable/);
    const port = Number(/127\.0\.0\.1:(\d+)/.exec(banner)![1]);
    await new Promise<void>((resolve, reject) => {
      const s = connect({ port, host: '127.0.0.1' }, () => {
        s.destroy();
        resolve();
      });
      s.once('error', reject);
    });
    // stderr is its own pipe: the warning may arrive after the banner on a busy machine.
    await new Promise<void>((resolve, reject) => {
      const check = () => /unknown configuration some\.unknown\.key/.test(err) && (child.stderr.off('data', check), resolve());
      child.stderr.on('data', check);
      check();
      child.once('exit', () => reject(new Error(`exited without warning about the unknown key: ${err}`)));
    });
    assert.match(err, /unknown configuration some\.unknown\.key/);
    child.kill('SIGTERM');
    const [code, signal] = await new Promise<[number | null, string | null]>((resolve) => child.once('exit', (c, sig) => resolve([c, sig])));
    assert.equal(code, 0, `exit signal ${signal}; stderr:\n${err}`);
    // A clean stop leaves Kafka's clean-shutdown marker, so the next start skips recovery.
    assert.ok(await stat(join(dir, 'logs', '.kafka_cleanshutdown')));
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
});

test('samsa start fails with a message naming an invalid key', async () => {
  const child = spawn(process.execPath, [BIN, 'start', '--override', 'num.partitions=zero'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  assert.equal(code, 1);
  assert.match(err, /num\.partitions/);
});
