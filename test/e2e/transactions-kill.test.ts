// Exactly-once through crashes: a KafkaJS consume-transform-produce pipeline (transactions of up
// to 100 records with sendOffsets) over 10,000 records while the broker, in its own process, is
// killed with SIGKILL at random points (seeded: inside transactions, between their steps, after
// their commit) and restarted on the same port. The pipeline starts over
// with new clients after every failure, from the group's committed offsets. At the end a
// read_committed reader sees every input record transformed exactly once.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { rng } from '../lib/rng.js';

const require = createRequire(import.meta.url);
const { Kafka, logLevel } = require('kafkajs') as typeof import('kafkajs');

const FIXTURE = fileURLToPath(new URL('./fixtures/broker-process.js', import.meta.url));
const TOTAL = 10_000;
const CHUNK = 100;
const KILLS = 6;
const CONFIG = {
  'group.initial.rebalance.delay.ms': 0,
  'offsets.topic.num.partitions': 2,
  'transaction.state.log.num.partitions': 2,
  'transaction.abort.timed.out.transaction.cleanup.interval.ms': 200,
  'samsa.log.level': 'error',
};

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

describe('exactly-once through broker crashes (SIGKILL)', { timeout: 120_000 }, () => {
  let dir: string;
  let port: number;
  let child: ChildProcess | undefined;
  let bootstrap = '';

  async function startChild(): Promise<void> {
    const c = spawn(process.execPath, [FIXTURE, dir, String(port), JSON.stringify(CONFIG)], { stdio: ['ignore', 'pipe', 'inherit'] });
    child = c;
    const line = await new Promise<string>((resolve, reject) => {
      const rl = createInterface({ input: c.stdout! });
      rl.once('line', resolve);
      c.once('exit', (code) => reject(new Error(`broker exited with ${code}`)));
    });
    bootstrap = (JSON.parse(line) as { bootstrap: string }).bootstrap;
  }

  async function kill(): Promise<void> {
    const c = child;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await exited;
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'samsa-eos-kill-'));
    port = await freePort();
    await startChild();
  });
  after(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  });

  test(`${TOTAL} records through transactions, the broker killed ${KILLS} times`, async () => {
    const rand = rng(0xe05);
    const kafka = () => new Kafka({ brokers: [bootstrap], clientId: 'eos-kill', logLevel: logLevel.NOTHING, retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 1000 } });
    const admin = kafka().admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'k-in', numPartitions: 2 }, { topic: 'k-out', numPartitions: 2 }] });
    const input = kafka().producer({ idempotent: true, maxInFlightRequests: 1 });
    await input.connect();
    for (let i = 0; i < TOTAL; i += 1000) {
      await input.send({ topic: 'k-in', acks: -1, messages: Array.from({ length: 1000 }, (_, j) => ({ key: `k${i + j}`, value: `in-${i + j}` })) });
    }
    await input.disconnect();
    await admin.disconnect();

    /** The group's committed offsets, summed (input records done). */
    async function committed(): Promise<number> {
      const a = kafka().admin();
      await a.connect();
      try {
        const offsets = await a.fetchOffsets({ groupId: 'k-group', topics: ['k-in'] });
        return offsets[0]!.partitions.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
      } finally {
        await a.disconnect();
      }
    }

    // Where the broker dies: transaction number (counted across sessions) and the point in it
    // (0 before the send, 1 after the send, 2 after sendOffsets, 3 after the commit returned).
    const plan = new Set<string>();
    let at = 3;
    while (plan.size < KILLS) {
      at += 4 + Math.floor(rand() * 12);
      plan.add(`${at}:${Math.floor(rand() * 4)}`);
    }
    let kills = 0;
    let txnNo = 0;
    async function maybeKill(txn: number, point: number): Promise<void> {
      if (!plan.delete(`${txn}:${point}`)) return;
      await kill();
      kills++;
      await startChild();
    }

    /** One run of the pipeline with fresh clients; resolves when all input is done or something failed. */
    async function session(): Promise<void> {
      const k = kafka();
      const producer = k.producer({ transactionalId: 'k-pipeline', maxInFlightRequests: 1, idempotent: true, transactionTimeout: 5000 });
      const consumer = k.consumer({ groupId: 'k-group', maxWaitTimeInMs: 100, sessionTimeout: 6000, heartbeatInterval: 500, retry: { retries: 2 } });
      let failed = false;
      try {
        await producer.connect();
        await consumer.connect();
        await consumer.subscribe({ topic: 'k-in', fromBeginning: true });
        await new Promise<void>((resolve) => {
          const guard = setTimeout(() => {
            failed = true;
            resolve();
          }, 20_000);
          const finish = () => {
            clearTimeout(guard);
            resolve();
          };
          consumer.on(consumer.events.CRASH, () => {
            failed = true;
            finish();
          });
          const positions = new Map<number, bigint>();
          void consumer
            .run({
              autoCommit: false,
              eachBatchAutoResolve: false,
              eachBatch: async ({ batch, resolveOffset, isRunning }) => {
                try {
                  for (let i = 0; i < batch.messages.length && isRunning() && !failed; i += CHUNK) {
                    const chunk = batch.messages.slice(i, i + CHUNK);
                    const next = BigInt(chunk[chunk.length - 1]!.offset) + 1n;
                    const n = txnNo++;
                    await maybeKill(n, 0);
                    const t = await producer.transaction();
                    await t.send({ topic: 'k-out', messages: chunk.map((m) => ({ key: m.key, value: `out-${m.value!.toString()}` })) });
                    await maybeKill(n, 1);
                    await t.sendOffsets({ consumerGroupId: 'k-group', topics: [{ topic: 'k-in', partitions: [{ partition: batch.partition, offset: next.toString() }] }] });
                    await maybeKill(n, 2);
                    await t.commit();
                    await maybeKill(n, 3);
                    for (const m of chunk) resolveOffset(m.offset);
                    positions.set(batch.partition, next);
                  }
                  const done = [...positions.values()].reduce((n, o) => n + Number(o), 0);
                  if (done >= TOTAL) finish();
                } catch {
                  failed = true;
                  finish();
                }
              },
            })
            .catch(() => {
              failed = true;
              finish();
            });
        });
      } catch {
        failed = true;
      } finally {
        await consumer.disconnect().catch(() => undefined);
        await producer.disconnect().catch(() => undefined);
      }
    }

    let sessions = 0;
    for (;;) {
      sessions++;
      await session();
      let done = 0;
      try {
        done = await committed();
      } catch {
        continue;
      }
      if (done >= TOTAL) break;
      assert.ok(sessions < 60, `no progress: ${done} of ${TOTAL} after ${sessions} sessions`);
    }
    assert.equal(kills, KILLS, 'every planned kill happened');

    // Every input record transformed exactly once, as a read_committed reader sees it.
    const reader = kafka().consumer({ groupId: `k-reader-${Date.now()}`, maxWaitTimeInMs: 100 });
    await reader.connect();
    await reader.subscribe({ topic: 'k-out', fromBeginning: true });
    const seen = new Map<string, number>();
    let count = 0;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read ${count} of ${TOTAL}`)), 30_000);
      void reader.run({
        eachMessage: async ({ message }) => {
          const v = message.value!.toString();
          seen.set(v, (seen.get(v) ?? 0) + 1);
          if (++count >= TOTAL) {
            clearTimeout(timer);
            setTimeout(resolve, 500);
          }
        },
      });
    });
    await reader.disconnect();
    const dupes = [...seen].filter(([, n]) => n > 1);
    assert.deepEqual(dupes, [], 'no record twice');
    assert.equal(count, TOTAL);
    assert.equal(seen.size, TOTAL);
    for (let i = 0; i < TOTAL; i++) assert.ok(seen.has(`out-in-${i}`), `out-in-${i} missing`);
    console.log(`${kills} kills, ${sessions} pipeline sessions`);
  });
});
