import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CorruptCheckpointError,
  CorruptIndexError,
  FileHandleCache,
  GroupCommit,
  LeaderEpochCache,
  LeaderEpochCheckpointFile,
  OffsetCheckpointFile,
  OffsetIndex,
  PartitionMetadataFile,
  SerialQueue,
  SimulatedFileSystem,
  TimeIndex,
  logConfigFrom,
  DEFAULT_LOG_CONFIG,
  LONG_MAX,
  segmentFileName,
  parseSegmentFileName,
  writeFileAtomic,
} from '../../../src/storage/index.js';

describe('OffsetIndex', () => {
  it("uses Kafka's 8-byte entry format and floor lookups", () => {
    const index = new OffsetIndex(100);
    index.append(3, 0x1000);
    index.append(9, 0x2000);
    index.append(20, 0x3000);
    assert.deepEqual(index.encode(), Buffer.from('00000003000010000000000900002000000000140000' + '3000', 'hex'));
    assert.equal(index.lookup(2), 0);
    assert.equal(index.lookup(3), 0x1000);
    assert.equal(index.lookup(19), 0x2000);
    assert.equal(index.lookup(1000), 0x3000);
    assert.equal(index.floorPosition(0x2fff), 0x2000);
    assert.throws(() => index.append(20, 0x4000));
    index.truncateTo(9);
    assert.equal(index.entries, 1);
    const decoded = OffsetIndex.decode(Buffer.from('0000000300001000', 'hex'), 10, 0x5000);
    assert.equal(decoded.lookup(5), 0x1000);
    assert.equal(decoded.persistedEntries, 1);
  });

  it('rejects corrupt files: partial entries, non-increasing entries, positions beyond the log', () => {
    assert.throws(() => OffsetIndex.decode(Buffer.alloc(12), 10, 100), CorruptIndexError);
    assert.throws(() => OffsetIndex.decode(Buffer.from('00000003000000100000000300000020', 'hex'), 10, 100), CorruptIndexError);
    assert.throws(() => OffsetIndex.decode(Buffer.from('0000000300001000', 'hex'), 10, 0x100), CorruptIndexError);
    assert.throws(() => OffsetIndex.decode(Buffer.from('ffffffff00000000', 'hex'), 10, 100), CorruptIndexError);
  });
});

describe('TimeIndex', () => {
  it("uses Kafka's 12-byte entry format; only larger timestamps are appended", () => {
    const index = new TimeIndex(100);
    index.maybeAppend(1000, 1);
    index.maybeAppend(1000, 2);
    index.maybeAppend(900, 3);
    index.maybeAppend(2000, 5);
    assert.equal(index.entries, 2);
    assert.deepEqual(index.encode(), Buffer.from('00000000000003e800000001' + '00000000000007d000000005', 'hex'));
    assert.equal(index.lookup(999), 0);
    assert.equal(index.lookup(1500), 1);
    assert.equal(index.lookup(5000), 5);
    const decoded = TimeIndex.decode(index.encode(), 100, 1000);
    assert.equal(decoded.lastTimestamp, 2000);
    assert.throws(() => TimeIndex.decode(Buffer.concat([index.encode(), index.encode()]), 100, 1000), CorruptIndexError);
    assert.throws(() => TimeIndex.decode(Buffer.alloc(13), 100, 1000), CorruptIndexError);
  });
});

describe('checkpoint files', () => {
  it('offset checkpoints: "0", count, "topic partition offset" lines, written atomically', async () => {
    const fs = new SimulatedFileSystem();
    await fs.mkdir('/d');
    const file = new OffsetCheckpointFile(fs, '/d/recovery-point-offset-checkpoint');
    assert.equal(await file.read(), undefined);
    await file.write([
      { topic: 'a', partition: 0, offset: 10n },
      { topic: 'b.c-d', partition: 12, offset: 9007199254740993n },
    ]);
    assert.equal(fs.fileBytes('/d/recovery-point-offset-checkpoint')!.toString(), '0\n2\na 0 10\nb.c-d 12 9007199254740993\n');
    const read = await file.read();
    assert.equal(read!.get('b.c-d-12')!.offset, 9007199254740993n);
    assert.ok(!fs.list().includes('/d/recovery-point-offset-checkpoint.tmp'));
    for (const bad of ['1\n0\n', '0\n2\na 0 1\n', '0\n1\na 0\n', '0\n1\na x 1\n', '0\n1\na 0 1.5\n']) {
      assert.throws(() => OffsetCheckpointFile.decode(Buffer.from(bad)), CorruptCheckpointError, bad);
    }
  });

  it('an atomic write interrupted by a crash leaves the old or the new content', async () => {
    for (let n = 1; n < 12; n++) {
      const fs = new SimulatedFileSystem();
      await fs.mkdir('/d');
      await fs.syncDir('/');
      await writeFileAtomic(fs, '/d/f', Buffer.from('old'));
      fs.crashAfterOps(n, { random: Math.random, tornTail: 'garbage' });
      await writeFileAtomic(fs, '/d/f', Buffer.from('new-content')).catch(() => undefined);
      fs.crash({ random: Math.random });
      fs.restart();
      const text = fs.fileBytes('/d/f')!.toString();
      assert.ok(text === 'old' || text === 'new-content', `after crash at op ${n}: ${text}`);
    }
  });

  it('leader-epoch-checkpoint and partition.metadata formats', async () => {
    assert.equal(LeaderEpochCheckpointFile.encode([{ epoch: 0, startOffset: 0n }, { epoch: 3, startOffset: 120n }]).toString(), '0\n2\n0 0\n3 120\n');
    assert.deepEqual(LeaderEpochCheckpointFile.decode(Buffer.from('0\n1\n4 7\n')), [{ epoch: 4, startOffset: 7n }]);
    assert.equal(PartitionMetadataFile.encode('yq3Bo4D3Q4-WUNyfE4AN_Q').toString(), 'version: 0\ntopic_id: yq3Bo4D3Q4-WUNyfE4AN_Q\n');
    assert.equal(PartitionMetadataFile.decode(Buffer.from('version: 0\ntopic_id: yq3Bo4D3Q4-WUNyfE4AN_Q')), 'yq3Bo4D3Q4-WUNyfE4AN_Q');
    assert.throws(() => PartitionMetadataFile.decode(Buffer.from('version: 1\ntopic_id: x\n')), CorruptCheckpointError);
  });

  it('segment file names are %020d', () => {
    assert.equal(segmentFileName(42n, '.log'), '00000000000000000042.log');
    assert.deepEqual(parseSegmentFileName('00000000000000000042.timeindex'), { baseOffset: 42n, suffix: '.timeindex' });
    assert.equal(parseSegmentFileName('00000000000000000042.log.deleted'), undefined);
    assert.equal(parseSegmentFileName('42.log'), undefined);
  });
});

describe('LeaderEpochCache', () => {
  it("follows Kafka's assign / endOffsetFor / truncation rules and persists changes", async () => {
    const fs = new SimulatedFileSystem();
    await fs.mkdir('/p');
    const file = new LeaderEpochCheckpointFile(fs, '/p/leader-epoch-checkpoint');
    const cache = new LeaderEpochCache(file);
    assert.equal(cache.assign(1, 0n), true);
    assert.equal(cache.assign(1, 5n), false);
    assert.equal(cache.assign(3, 10n), true);
    assert.equal(cache.assign(2, 20n), false, 'an older epoch on newer data is ignored');
    cache.assign(5, 30n);
    assert.deepEqual(cache.endOffsetFor(5, 40n), { epoch: 5, endOffset: 40n });
    assert.deepEqual(cache.endOffsetFor(3, 40n), { epoch: 3, endOffset: 30n });
    assert.deepEqual(cache.endOffsetFor(4, 40n), { epoch: 3, endOffset: 30n });
    assert.deepEqual(cache.endOffsetFor(2, 40n), { epoch: 1, endOffset: 10n });
    assert.deepEqual(cache.endOffsetFor(0, 40n), { epoch: 0, endOffset: 0n }, 'older than every known epoch: ends where the first known one starts');
    assert.deepEqual(cache.endOffsetFor(9, 40n), { epoch: -1, endOffset: -1n });
    cache.truncateFromEnd(30n);
    assert.equal(cache.latestEpoch, 3);
    cache.truncateFromStart(12n);
    assert.deepEqual(cache.entries, [{ epoch: 3, startOffset: 12n }]);
    // A newer epoch starting below existing entries replaces them.
    cache.assign(7, 12n);
    assert.deepEqual(cache.entries, [{ epoch: 7, startOffset: 12n }]);
    await cache.flushed();
    assert.equal(fs.fileBytes('/p/leader-epoch-checkpoint')!.toString(), '0\n1\n7 12\n');
  });
});

describe('GroupCommit and SerialQueue', () => {
  it('requests during a run share the next run; each request is covered by a run that started after it', async () => {
    let started = 0;
    let release: (() => void) | undefined;
    const gc = new GroupCommit(async () => {
      started++;
      await new Promise<void>((r) => (release = r));
    });
    const a = gc.request();
    const b = gc.request();
    const c = gc.request();
    assert.equal(started, 1);
    release!();
    await a;
    assert.equal(started, 2, 'b and c share one run that started after them');
    release!();
    await Promise.all([b, c]);
    assert.equal(gc.runs, 2);
  });

  it('a failed run rejects its requests only', async () => {
    let fail = true;
    const gc = new GroupCommit(async () => {
      if (fail) throw new Error('boom');
    });
    await assert.rejects(gc.request(), /boom/);
    fail = false;
    await gc.request();
  });

  it('SerialQueue runs tasks in order and survives failures', async () => {
    const q = new SerialQueue();
    const seen: number[] = [];
    const p1 = q.run(async () => {
      await new Promise((r) => setTimeout(r, 5));
      seen.push(1);
    });
    const p2 = q.run(async () => {
      throw new Error('x');
    });
    const p3 = q.run(async () => seen.push(3));
    await p1;
    await assert.rejects(p2);
    await p3;
    assert.deepEqual(seen, [1, 3]);
  });
});

describe('FileHandleCache', () => {
  it('keeps at most maxOpen idle handles, closing the least recently used', async () => {
    const fs = new SimulatedFileSystem();
    await fs.mkdir('/f');
    for (let i = 0; i < 10; i++) (await fs.open(`/f/${i}`, 'create')).close();
    const cache = new FileHandleCache(fs, 3);
    for (let i = 0; i < 10; i++) await cache.use(`/f/${i}`, async (h) => h.size());
    assert.equal(cache.size, 3);
    assert.ok(fs.openFiles <= 3);
    // A busy handle is not closed under its user; when every handle is busy, new uses wait.
    let busy = 0;
    let maxBusy = 0;
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        cache.use(`/f/${i}`, async (h) => {
          maxBusy = Math.max(maxBusy, ++busy);
          await new Promise((r) => setTimeout(r, 2));
          await h.size();
          busy--;
        }),
      ),
    );
    assert.equal(maxBusy, 3);
    assert.ok(fs.maxOpenFiles <= 3, `${fs.maxOpenFiles} files were open at once`);
    cache.evict('/f/5');
    await cache.closeAll();
    await new Promise((r) => setImmediate(r));
    assert.equal(fs.openFiles, 0);
  });
});

describe('config', () => {
  it("maps Kafka's topic and broker keys, durable by default", () => {
    assert.equal(DEFAULT_LOG_CONFIG.durable, true);
    assert.equal(DEFAULT_LOG_CONFIG.flushMessages, LONG_MAX);
    const c = logConfigFrom(
      { 'log.segment.bytes': '1000', 'log.roll.hours': 1, 'samsa.log.flush.durable': 'false', 'log.retention.hours': 2, 'log.flush.interval.messages': '9223372036854775807' },
      { 'flush.ms': '500', 'retention.bytes': 100 },
    );
    assert.equal(c.segmentBytes, 1000);
    assert.equal(c.segmentMs, 3_600_000);
    assert.equal(c.durable, false);
    assert.equal(c.retentionMs, 7_200_000);
    assert.equal(c.flushMs, 500);
    assert.equal(c.flushMessages, LONG_MAX);
    assert.equal(c.retentionBytes, 100);
    assert.equal(logConfigFrom({ 'samsa.log.flush.durable': false }, { 'samsa.flush.durable': 'true' }).durable, true);
    assert.throws(() => logConfigFrom({}, { 'samsa.flush.durable': 'yes' }));
  });
});
