import assert from 'node:assert/strict';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { LogManager, NodeFileSystem, SimulatedFileSystem, logConfigFrom, writeFileAtomic } from '../../../src/storage/index.js';
import { createLogger } from '../../../src/util/logger.js';
import { MockTime } from '../../../src/util/time.js';
import { makeBatch, removeDir, splitBatches, tempDir } from './helpers.js';

const NO_TIMERS = {
  recoveryPointCheckpointIntervalMs: 0,
  logStartOffsetCheckpointIntervalMs: 0,
  highWatermarkCheckpointIntervalMs: 0,
  retentionCheckIntervalMs: 0,
};

describe('LogManager', () => {
  it("lays out log dirs in Kafka's format and checkpoints on close", async () => {
    const root = await tempDir();
    const dirs = [path.join(root, 'a'), path.join(root, 'b')];
    try {
      const manager = await LogManager.open({ logDirs: dirs, managerConfig: NO_TIMERS });
      const logs = [];
      for (let p = 0; p < 4; p++) logs.push(await manager.getOrCreateLog('orders', p, { topicId: 'yq3Bo4D3Q4-WUNyfE4AN_Q' }));
      assert.equal(await manager.getOrCreateLog('orders', 0), logs[0]);
      for (const log of logs) {
        for (let i = 0; i <= log.partition; i++) await log.append(makeBatch({ records: 2 }), 3);
        log.updateHighWatermark(log.logEndOffset - 1n);
      }
      await logs[3]!.advanceLogStartOffset(2n);
      await manager.close();

      assert.deepEqual((await fsp.readdir(dirs[0]!)).sort(), [
        '.kafka_cleanshutdown',
        'log-start-offset-checkpoint',
        'orders-0',
        'orders-2',
        'recovery-point-offset-checkpoint',
        'replication-offset-checkpoint',
      ]);
      assert.deepEqual((await fsp.readdir(path.join(dirs[1]!, 'orders-3'))).sort(), [
        '00000000000000000000.index',
        '00000000000000000000.log',
        '00000000000000000000.timeindex',
        'leader-epoch-checkpoint',
        'partition.metadata',
      ]);
      const read = (d: string, f: string) => fsp.readFile(path.join(d, f), 'utf8');
      assert.equal(await read(dirs[1]!, 'recovery-point-offset-checkpoint'), '0\n2\norders 1 4\norders 3 8\n');
      assert.equal(await read(dirs[1]!, 'log-start-offset-checkpoint'), '0\n2\norders 1 0\norders 3 2\n');
      assert.equal(await read(dirs[1]!, 'replication-offset-checkpoint'), '0\n2\norders 1 3\norders 3 7\n');
      assert.equal(await read(path.join(dirs[1]!, 'orders-3'), 'partition.metadata'), 'version: 0\ntopic_id: yq3Bo4D3Q4-WUNyfE4AN_Q\n');
      assert.equal(await read(path.join(dirs[1]!, 'orders-3'), 'leader-epoch-checkpoint'), '0\n1\n3 2\n');

      const reopened = await LogManager.open({ logDirs: dirs, managerConfig: NO_TIMERS });
      assert.equal(reopened.loadStats.cleanShutdown, true);
      assert.equal(reopened.loadStats.partitions, 4);
      assert.equal(reopened.loadStats.recoveredSegments, 0);
      await assert.rejects(fsp.stat(path.join(dirs[0]!, '.kafka_cleanshutdown')), 'marker removed once loaded');
      const log3 = reopened.getLog('orders', 3)!;
      assert.equal(log3.topicId, 'yq3Bo4D3Q4-WUNyfE4AN_Q');
      assert.equal(log3.logStartOffset, 2n);
      assert.equal(log3.logEndOffset, 8n);
      assert.equal(log3.highWatermark, 7n);
      assert.equal(splitBatches(await log3.readRecords(2n, 1 << 20, 8n)).length, 3);
      assert.equal((await log3.append(makeBatch(), 4)).firstOffset, 8n);
      await reopened.close();
    } finally {
      await removeDir(root);
    }
  });

  it('without the clean shutdown marker, partitions are recovered from their recovery points', async () => {
    const fs = new SimulatedFileSystem();
    const manager = await LogManager.open({ logDirs: ['/l'], fs, managerConfig: NO_TIMERS, brokerConfig: { 'log.segment.bytes': 2000 } });
    const log = await manager.getOrCreateLog('t', 0);
    for (let i = 0; i < 30; i++) await log.append(makeBatch({ valueSize: 200 }), 0);
    await log.flush();
    await manager.checkpointRecoveryPoints();
    for (let i = 0; i < 5; i++) await log.append(makeBatch({ valueSize: 200 }), 0);
    // No close: simulate kill -9 (everything written survives).
    fs.crash({ kind: 'process' });
    fs.restart();
    const reopened = await LogManager.open({ logDirs: ['/l'], fs, managerConfig: NO_TIMERS, brokerConfig: { 'log.segment.bytes': 2000 } });
    assert.equal(reopened.loadStats.cleanShutdown, false);
    assert.equal(reopened.loadStats.recoveredPartitions, 1);
    assert.equal(reopened.loadStats.recoveredSegments, 1, 'only the segment holding the recovery point onwards');
    assert.equal(reopened.getLog('t', 0)!.logEndOffset, 35n);
    await reopened.close();
  });

  it('deletes a partition by renaming it to <tp>.<uuid>-delete and removing it in the background', async () => {
    const fs = new SimulatedFileSystem();
    const manager = await LogManager.open({ logDirs: ['/l'], fs, managerConfig: NO_TIMERS, brokerConfig: { 'log.segment.delete.delay.ms': 0 } });
    const log = await manager.getOrCreateLog('gone', 1);
    await log.append(makeBatch(), 0);
    assert.equal(await manager.deleteLog('gone', 1), true);
    assert.equal(manager.getLog('gone', 1), undefined);
    assert.match(log.dir, /^\/l\/gone-1\.[0-9a-f]{32}-delete$/);
    await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(fs.list().filter((f) => f.includes('gone')), []);
    // A fresh partition of the same name starts at offset 0.
    const again = await manager.getOrCreateLog('gone', 1);
    assert.equal((await again.append(makeBatch(), 0)).firstOffset, 0n);
    await manager.close();
  });

  it('serves hundreds of partitions with a small descriptor budget', async () => {
    const dir = await tempDir();
    try {
      const fs = new NodeFileSystem();
      const open = () =>
        LogManager.open({
          logDirs: [dir],
          fs,
          managerConfig: { ...NO_TIMERS, maxOpenFiles: 8 },
          brokerConfig: { 'samsa.log.flush.durable': false },
        });
      const manager = await open();
      const logs = [];
      for (let p = 0; p < 200; p++) logs.push(await manager.getOrCreateLog('many', p));
      for (let round = 0; round < 3; round++) {
        await Promise.all(logs.map((log) => log.append(makeBatch({ fill: log.partition % 200 }), 0)));
      }
      await Promise.all(logs.map(async (log) => {
        log.updateHighWatermark(log.logEndOffset);
        assert.equal(splitBatches(await log.readRecords(0n, 1 << 20)).length, 3);
      }));
      await manager.close();
      // Cached segment handles never exceed 8; the rest are short-lived (checkpoints, index files, dir syncs).
      assert.ok(fs.maxOpenFiles <= 8 + 40, `${fs.maxOpenFiles} descriptors were open at once`);
      assert.equal(fs.openFiles, 0);
      const reopened = await open();
      assert.equal(reopened.loadStats.partitions, 200);
      assert.equal(fs.openFiles, 0, 'a clean start opens no segment');
      await reopened.close();
    } finally {
      await removeDir(dir);
    }
  });

  it('getOrCreateLog applies the given config to existing logs', async () => {
    const fs = new SimulatedFileSystem();
    const manager = await LogManager.open({ logDirs: ['/l'], fs, managerConfig: NO_TIMERS });
    const log = await manager.getOrCreateLog('c', 0);
    assert.equal(log.config.durable, true);
    await manager.getOrCreateLog('c', 0, { config: logConfigFrom({}, { 'samsa.flush.durable': 'false' }) });
    assert.equal(log.config.durable, false);
    await manager.close();
  });

  describe('high watermark checkpoint (replication-offset-checkpoint)', () => {
    const HW_FILE = '/l/replication-offset-checkpoint';
    const openWith = (fs: SimulatedFileSystem, time: MockTime, warnings: string[] = []) =>
      LogManager.open({
        logDirs: ['/l'],
        fs,
        time,
        logger: createLogger('warn', {}, (line) => warnings.push(line)),
        managerConfig: { ...NO_TIMERS, highWatermarkCheckpointIntervalMs: 5000 },
      });

    it('is written every replica.high.watermark.checkpoint.interval.ms and restored at open', async () => {
      const fs = new SimulatedFileSystem();
      const time = new MockTime();
      const manager = await openWith(fs, time);
      const log = await manager.getOrCreateLog('t', 0);
      for (let i = 0; i < 5; i++) await log.append(makeBatch(), 0);
      log.updateHighWatermark(3n);
      await time.advance(4999);
      assert.equal(await fs.stat(HW_FILE), undefined, 'not before the interval');
      await time.advance(1);
      assert.equal((await fs.readFile(HW_FILE)).toString(), '0\n1\nt 0 3\n');
      log.updateHighWatermark(4n);
      await time.advance(5000);
      assert.equal((await fs.readFile(HW_FILE)).toString(), '0\n1\nt 0 4\n');
      // kill -9: no clean close, the log is recovered, the high watermark comes from the checkpoint.
      fs.crash({ kind: 'process' });
      fs.restart();
      const reopened = await openWith(fs, time);
      assert.equal(reopened.loadStats.cleanShutdown, false);
      const restored = reopened.getLog('t', 0)!;
      assert.equal(restored.logEndOffset, 5n);
      assert.equal(restored.highWatermark, 4n);
      await reopened.close();
      assert.equal((await fs.readFile(HW_FILE)).toString(), '0\n1\nt 0 4\n', 'and at clean close');
    });

    it('restores values clamped to [logStartOffset, logEndOffset]; absent ones as the log start offset', async () => {
      const fs = new SimulatedFileSystem();
      const time = new MockTime();
      const manager = await openWith(fs, time);
      for (const p of [0, 1, 2]) {
        const log = await manager.getOrCreateLog('t', p);
        for (let i = 0; i < 4; i++) await log.append(makeBatch(), 0);
        log.updateHighWatermark(log.logEndOffset);
        await log.advanceLogStartOffset(2n);
      }
      await manager.close();
      await writeFileAtomic(fs, HW_FILE, Buffer.from('0\n2\nt 0 99\nt 1 1\n'));
      const reopened = await openWith(fs, time);
      assert.deepEqual([0, 1, 2].map((p) => reopened.getLog('t', p)!.highWatermark), [4n, 2n, 2n]);
      await reopened.close();
    });

    it('a torn or garbage checkpoint is ignored and logged, never fatal, and does not force recovery', async () => {
      for (const garbage of ['0\n3\nt 0 4\n', '\u0000\u0000\u0000', '0\n1\nt zero 4\n']) {
        const fs = new SimulatedFileSystem();
        const time = new MockTime();
        const manager = await openWith(fs, time);
        const log = await manager.getOrCreateLog('t', 0);
        for (let i = 0; i < 4; i++) await log.append(makeBatch(), 0);
        log.updateHighWatermark(4n);
        await manager.close();
        await writeFileAtomic(fs, HW_FILE, Buffer.from(garbage));
        const warnings: string[] = [];
        const reopened = await openWith(fs, time, warnings);
        assert.equal(reopened.loadStats.cleanShutdown, true);
        assert.equal(reopened.loadStats.recoveredSegments, 0);
        assert.equal(reopened.getLog('t', 0)!.highWatermark, 0n, 'as if absent: the log start offset');
        assert.equal(warnings.length, 1);
        assert.match(warnings[0]!, /unreadable checkpoint.*replication-offset-checkpoint/);
        await reopened.close();
      }
    });
  });
});
