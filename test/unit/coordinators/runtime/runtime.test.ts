// The coordinator runtime with a shard of its own (a key → number table), in-memory logs and a
// virtual clock: loading by replay, one operation at a time with replay after the append,
// timers, and load/unload with a coordinator epoch.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CoordinatorError, CoordinatorRuntime, type CoordinatorShard, type RecordSerde, type ShardInit, type ShardScheduler } from '../../../../src/coordinators/runtime/index.js';
import { ErrorCode } from '../../../../src/protocol/error-codes.js';
import { createLogger } from '../../../../src/util/logger.js';
import { MockTime } from '../../../../src/util/time.js';
import { MemoryLog, peek } from '../helpers.js';

interface Entry {
  key: string;
  value: number | null;
}

const serde: RecordSerde<Entry> = {
  encode: (r) => ({ key: Buffer.from(r.key), value: r.value === null ? null : Buffer.from(String(r.value)) }),
  decode: (key, value) => ({ key: key.toString(), value: value === null ? null : Number(value.toString()) }),
};

class TableShard implements CoordinatorShard<Entry> {
  readonly table = new Map<string, number>();
  unloaded = false;
  readonly epoch: number;
  readonly scheduler: ShardScheduler<Entry>;

  constructor(init: ShardInit<Entry>) {
    this.epoch = init.epoch;
    this.scheduler = init.scheduler;
  }

  replay(r: Entry): void {
    if (r.value === null) this.table.delete(r.key);
    else this.table.set(r.key, r.value);
  }

  onLoaded(): void {}

  onUnloaded(): void {
    this.unloaded = true;
  }

  /** An increment: its record, with the value the table will hold once it is replayed. */
  increment(key: string): Entry {
    return { key, value: (this.table.get(key) ?? 0) + 1 };
  }
}

function setup() {
  const time = new MockTime();
  const log = new MemoryLog();
  const runtime = new CoordinatorRuntime<TableShard, Entry>({
    time,
    logger: createLogger('silent'),
    topic: '__table',
    serde,
    errorCode: () => ErrorCode.KAFKA_STORAGE_ERROR,
    createShard: (init) => new TableShard(init),
  });
  const increment = (key: string) => runtime.run(0, (s) => ({ records: [s.increment(key)], response: s.table.get(key) ?? 0 }));
  return { time, log, runtime, increment };
}

async function codeOf(p: Promise<unknown>): Promise<number> {
  try {
    await p;
    return ErrorCode.NONE;
  } catch (e) {
    assert.ok(e instanceof CoordinatorError, String(e));
    return e.code;
  }
}

describe('coordinator runtime', () => {
  test('a partition loads by replaying its log; until then callers get COORDINATOR_LOAD_IN_PROGRESS, unknown partitions NOT_COORDINATOR', async () => {
    const writer = setup();
    writer.runtime.onElection(0, 0, writer.log);
    await writer.runtime.loaded(0);
    await writer.runtime.run(0, (s) => ({ records: [s.increment('a'), s.increment('b')], response: undefined }));
    await writer.increment('a');
    assert.equal(writer.log.batches.length, 2, 'one batch per operation');

    const { runtime, increment } = setup();
    writer.log.stall();
    runtime.onElection(0, 0, writer.log);
    assert.equal(runtime.status(0), 'loading');
    assert.equal(await codeOf(increment('a')), ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    assert.equal(await codeOf(runtime.run(1, () => ({ records: [], response: 0 }))), ErrorCode.NOT_COORDINATOR);
    writer.log.unstall();
    await runtime.loaded(0);
    assert.equal(runtime.status(0), 'active');
    assert.deepEqual(Object.fromEntries(runtime.shard(0)!.table), { a: 2, b: 1 });
  });

  test('operations run one at a time, and their records are replayed only once the append is acknowledged', async () => {
    const { log, runtime, increment } = setup();
    runtime.onElection(0, 0, log);
    await runtime.loaded(0);
    log.holdAppends();
    const one = increment('k');
    const two = increment('k');
    assert.deepEqual(await peek(one), { settled: false });
    assert.equal(runtime.shard(0)!.table.get('k'), undefined, 'not replayed before the append is acknowledged');
    log.releaseAppends();
    assert.equal(await one, 0);
    assert.equal(await two, 1, 'the second saw the first one replayed');
    assert.equal(runtime.shard(0)!.table.get('k'), 2);
  });

  test('a failed append is not replayed: the hook hears Kafka\'s code', async () => {
    const { log, runtime } = setup();
    runtime.onElection(0, 0, log);
    await runtime.loaded(0);
    log.failWith = ErrorCode.NOT_ENOUGH_REPLICAS;
    let failure: number | undefined;
    await runtime.run(0, (s) => ({ records: [s.increment('x')], response: undefined, onAppendFailed: (code) => void (failure = code) }));
    assert.equal(failure, ErrorCode.KAFKA_STORAGE_ERROR);
    assert.equal(runtime.shard(0)!.table.has('x'), false);
  });

  test('timers run as operations; rescheduling replaces a timer, cancelling drops it', async () => {
    const { log, runtime, time } = setup();
    runtime.onElection(0, 0, log);
    await runtime.loaded(0);
    const s = runtime.shard(0)!;
    s.scheduler.schedule('t', 1000, () => [s.increment('fired')]);
    s.scheduler.schedule('t', 3000, () => [s.increment('fired')]);
    s.scheduler.schedule('gone', 500, () => [s.increment('gone')]);
    s.scheduler.cancel('gone');
    await time.advance(2000);
    assert.equal(s.table.get('fired'), undefined, 'the first schedule was replaced');
    await time.advance(1000);
    await runtime.idle();
    assert.equal(s.table.get('fired'), 1);
    assert.equal(s.table.has('gone'), false);
  });

  test('unload: queued operations fail NOT_COORDINATOR, an append in flight is not replayed, timers are cancelled, waiters told', async () => {
    const { log, runtime, time, increment } = setup();
    runtime.onElection(0, 0, log);
    await runtime.loaded(0);
    await increment('k');
    const s = runtime.shard(0)!;
    s.scheduler.schedule('later', 1000, () => [s.increment('timer')]);
    log.holdAppends();
    let inFlightFailure: number | undefined;
    const inFlight = runtime.run(0, (x) => ({ records: [x.increment('k')], response: undefined, onAppendFailed: (code) => void (inFlightFailure = code) }));
    const queued = codeOf(increment('k'));
    await time.advance(0);
    const resigned = runtime.onResignation(0, 1);
    assert.equal(runtime.status(0), 'closed');
    assert.ok(s.unloaded, 'the shard was told (its waiters answer NOT_COORDINATOR)');
    log.releaseAppends();
    await resigned;
    await inFlight;
    assert.equal(inFlightFailure, ErrorCode.NOT_COORDINATOR, 'the operation in flight hears NOT_COORDINATOR');
    assert.equal(await queued, ErrorCode.NOT_COORDINATOR);
    assert.equal(s.table.get('k'), 1, 'the late append was not replayed');
    assert.equal(time.pending, 0, 'timers cancelled');
    await time.advance(5000);
    assert.equal(s.table.has('timer'), false);
    assert.equal(await codeOf(increment('k')), ErrorCode.NOT_COORDINATOR);
    assert.deepEqual(runtime.partitions(), []);
  });

  test('reload with a newer epoch replays the log again; stale elections and resignations are ignored', async () => {
    const { log, runtime, increment } = setup();
    runtime.onElection(0, 2, log);
    await runtime.loaded(0);
    await increment('k');
    const loadedAt2 = runtime.shard(0)!;
    runtime.onElection(0, 1, log);
    runtime.onElection(0, 2, log);
    assert.equal(runtime.shard(0), loadedAt2, 'an election no newer than the loaded epoch changes nothing');
    await runtime.onResignation(0, 2);
    assert.equal(runtime.status(0), 'active', 'a resignation no newer than the loaded epoch changes nothing');

    await runtime.onResignation(0, 3);
    runtime.onElection(0, 2, log);
    assert.equal(runtime.status(0), 'closed', 'an election older than the last load stays refused');
    runtime.onElection(0, 4, log);
    await runtime.loaded(0);
    const reloaded = runtime.shard(0)!;
    assert.notEqual(reloaded, loadedAt2);
    assert.equal(reloaded.epoch, 4);
    assert.equal(runtime.epoch(0), 4);
    assert.equal(reloaded.table.get('k'), 1, 'state rebuilt from the log');
    assert.equal(await increment('k'), 1);
  });

  test('close: timers are cancelled and every shard unloaded at once; queued work is refused NOT_COORDINATOR; the append in flight is answered and awaited', async () => {
    const { log, runtime, time, increment } = setup();
    runtime.onElection(0, 0, log);
    await runtime.loaded(0);
    const s = runtime.shard(0)!;
    s.scheduler.schedule('later', 1000, () => [s.increment('timer')]);
    log.holdAppends();
    const first = codeOf(increment('k'));
    const second = codeOf(increment('k'));
    await time.advance(0);
    let closed = false;
    const closing = runtime.close().then(() => (closed = true));
    assert.equal(time.pending, 0, 'timers cancelled');
    await time.advance(0);
    assert.ok(s.unloaded, 'unloaded before the queue drains');
    assert.equal(runtime.status(0), 'closed');
    assert.equal(closed, false, 'close waits for the append in flight');
    log.releaseAppends();
    await closing;
    // The first's records were appended before the unload: it is answered (the log has them, a
    // reload replays them); the second never ran.
    assert.deepEqual([await first, await second], [ErrorCode.NONE, ErrorCode.NOT_COORDINATOR]);
    assert.equal(await codeOf(increment('k')), ErrorCode.NOT_COORDINATOR);
  });
});
