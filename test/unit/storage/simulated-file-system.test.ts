import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SimulatedCrashError, SimulatedFileSystem } from '../../../src/storage/index.js';
import { rng } from './helpers.js';

async function setup(): Promise<SimulatedFileSystem> {
  const fs = new SimulatedFileSystem();
  await fs.mkdir('/d');
  await fs.syncDir('/');
  return fs;
}

describe('SimulatedFileSystem', () => {
  it('power loss keeps synced data and durable names only', async () => {
    const fs = await setup();
    const f = await fs.open('/d/a', 'create');
    await f.write(Buffer.from('hello'), 0, 5, 0);
    await f.datasync();
    await fs.syncDir('/d');
    await f.write(Buffer.from(' world'), 0, 6, 5);
    const g = await fs.open('/d/b', 'create'); // name never synced
    await g.write(Buffer.from('x'), 0, 1, 0);
    await g.datasync();
    fs.crash();
    await assert.rejects(f.size(), SimulatedCrashError);
    await assert.rejects(fs.readdir('/d'), SimulatedCrashError);
    fs.restart();
    assert.deepEqual(await fs.readdir('/d'), ['a']);
    assert.equal(fs.fileBytes('/d/a')!.toString(), 'hello');
  });

  it('process crash keeps every completed write', async () => {
    const fs = await setup();
    const f = await fs.open('/d/a', 'create');
    await f.write(Buffer.from('abc'), 0, 3, 0);
    fs.crash({ kind: 'process' });
    fs.restart();
    assert.equal(fs.fileBytes('/d/a')!.toString(), 'abc');
  });

  it('a torn crash keeps a prefix of the pending writes, the last one cut (and optionally followed by garbage)', async () => {
    const seen = new Set<string>();
    for (let seed = 1; seed < 60; seed++) {
      const fs = await setup();
      const f = await fs.open('/d/a', 'create');
      await fs.syncDir('/d');
      await f.write(Buffer.from('AAAA'), 0, 4, 0);
      await f.datasync();
      await f.write(Buffer.from('BBBB'), 0, 4, 4);
      await f.write(Buffer.from('CCCC'), 0, 4, 8);
      fs.crash({ random: rng(seed), tornTail: seed % 2 ? 'none' : 'zeros' });
      fs.restart();
      const text = fs.fileBytes('/d/a')!.toString('latin1');
      assert.ok(text.startsWith('AAAA'));
      assert.match(text, /^AAAA(B{0,4}\0*|BBBBC{0,4}\0*)$/);
      seen.add(text.replace(/\0/g, '0'));
    }
    assert.ok(seen.size >= 5, `only ${[...seen]}`);
  });

  it('crashAfterOps tears the crashing write and stops the process there', async () => {
    const fs = await setup();
    const f = await fs.open('/d/a', 'create');
    await fs.syncDir('/d');
    fs.crashAfterOps(2, { random: () => 0.99 });
    await f.write(Buffer.from('1111'), 0, 4, 0);
    await assert.rejects(f.write(Buffer.from('2222'), 0, 4, 4), SimulatedCrashError);
    assert.ok(fs.crashed);
    fs.restart();
    const text = fs.fileBytes('/d/a')!.toString();
    assert.match(text, /^1111(2{0,4})$/);
  });

  it('renames are atomic and durable after syncDir; injected write and sync failures', async () => {
    const fs = await setup();
    const f = await fs.open('/d/tmp', 'create');
    await f.write(Buffer.from('v2'), 0, 2, 0);
    await f.datasync();
    await f.close();
    await fs.rename('/d/tmp', '/d/final');
    assert.deepEqual(await fs.readdir('/d'), ['final']);
    await fs.syncDir('/d');
    fs.crash();
    fs.restart();
    assert.equal(fs.fileBytes('/d/final')!.toString(), 'v2');
    const h = await fs.open('/d/final', 'readwrite');
    fs.failWrite = { match: () => true, error: new Error('ENOSPC'), times: 1 };
    await assert.rejects(h.write(Buffer.from('x'), 0, 1, 0), /ENOSPC/);
    await h.write(Buffer.from('x'), 0, 1, 0);
    fs.failSync = { match: () => true, error: new Error('EIO'), times: 1 };
    await assert.rejects(h.datasync(), /EIO/);
  });
});
