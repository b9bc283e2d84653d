// Transactions with confluent-kafka-python 1.7.0 (librdkafka 2.0.2, Debian) against an
// in-process broker: a transactional producer committing and aborting (mixed), read_committed
// consumers see exactly the committed records, read_uncommitted ones see all; after a restart
// the same holds; zombie fencing with two producers sharing a transactional id.
// Scripts: test/interop/py/ck_txn.py, ck_consume.py. Fails (never skips) without confluent_kafka.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestBroker, killAllChildren, requirePythonModule, runPy, type ConsumeOutput } from './helpers.js';

const TXNS = 30;
const PER = 50;

describe('transactions with confluent-kafka (python)', { timeout: 300_000 }, () => {
  let broker: TestBroker;

  before(async () => {
    broker = await TestBroker.start({ 'offsets.topic.num.partitions': 3, 'transaction.state.log.num.partitions': 3 });
  });
  after(async () => {
    killAllChildren();
    await broker?.dispose();
  });

  const values = (out: ConsumeOutput) => out.records.map((r) => Buffer.from(r.v!, 'hex').toString());
  const consume = (topic: string, isolation: string, expect: number) =>
    runPy<ConsumeOutput>('ck_consume.py', ['--bootstrap', broker.bootstrap, '--topic', topic, '--expect', String(expect), '--timeout', '30', '--config', `isolation.level=${isolation}`]);

  test('commit and abort mixed: read_committed sees only committed records, read_uncommitted all, before and after a restart', async () => {
    requirePythonModule('confluent_kafka');
    const topic = 'ck-txn';
    await broker.running!.broker.topics.create(topic, 3, 1, {});
    const produced = await runPy<{ committed: string[]; aborted: string[]; errors: unknown[]; logs: string[] }>('ck_txn.py', ['produce', '--bootstrap', broker.bootstrap, '--topic', topic, '--txn-id', 'ck-txn-1', '--txns', String(TXNS), '--per', String(PER), '--abort-every', '3']);
    assert.equal(produced.committed.length + produced.aborted.length, TXNS * PER);
    assert.ok(produced.aborted.length > 0 && produced.committed.length > 0);

    for (const phase of ['before restart', 'after restart']) {
      const committed = await consume(topic, 'read_committed', produced.committed.length);
      assert.deepEqual(values(committed).sort(), [...produced.committed].sort(), `read_committed ${phase}`);
      // Control records take offsets too: the records seen are not contiguous.
      const all = await consume(topic, 'read_uncommitted', produced.committed.length + produced.aborted.length);
      assert.deepEqual(values(all).sort(), [...produced.committed, ...produced.aborted].sort(), `read_uncommitted ${phase}`);
      if (phase === 'before restart') await broker.restart();
    }
    const [described] = await broker.running!.broker.txn.describe(['ck-txn-1']);
    assert.equal(described!.transactionState, 'CompleteCommit');
  });

  test('zombie fencing: the first producer is fenced by the second one with its transactional id', async () => {
    requirePythonModule('confluent_kafka');
    const topic = 'ck-fence';
    await broker.running!.broker.topics.create(topic, 1, 1, {});
    const r = await runPy<{ first_error: { code: number; name: string; str: string; fatal: boolean } | null; second_committed: boolean; logs: string[] }>('ck_txn.py', ['fence', '--bootstrap', broker.bootstrap, '--topic', topic, '--txn-id', 'ck-fence-1']);
    assert.ok(r.first_error, 'the zombie commit must fail');
    assert.match(`${r.first_error!.name} ${r.first_error!.str}`, /FENCED|EPOCH/i);
    const committed = await consume(topic, 'read_committed', 1);
    assert.deepEqual(values(committed), ['second']);
  });
});
