// The fault-injection harness (tools/fault) in CI: each schedule runs for FAULT_DURATION_S seconds
// (default 25) against three brokers on etcd with RF=3, min.insync.replicas=2 and acks=all
// producers (KafkaJS and confluent-kafka idempotent, KafkaJS transactional) and a kcat
// consumer, and must end with zero violations and byte-identical replicas. The negative control
// runs the isolate-leader schedule with acks=1 and must be reported as loss. A run's seed is
// printed; a failing run keeps its folder (history, reads, verdict, broker logs and data), and
// `node dist/tools/fault/cli.js check <folder>` re-checks it. SAMSA_FAULT_SEED fixes the seed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runFault, type RunResult } from '../../tools/fault/run.js';
import { SCHEDULES, type Schedule } from '../../tools/fault/nemesis.js';

const DURATION_MS = Number(process.env.FAULT_DURATION_S ?? 25) * 1000;
const seed = () => Number(process.env.SAMSA_FAULT_SEED ?? Math.floor(Math.random() * 2 ** 31));

function describe(r: RunResult, s: number): string {
  return `seed ${s}: ${JSON.stringify(r.verdict.counts)}; diverged ${JSON.stringify(r.diverged)}; first violations ${JSON.stringify(r.verdict.violations.slice(0, 5))}; run kept in ${r.dir}\n${r.events.join('\n')}`;
}

for (const schedule of SCHEDULES) {
  test(`${schedule}: no acknowledged write lost, no duplicates, read_committed whole, replicas identical`, async (t) => {
    const s = seed();
    t.diagnostic(`seed ${s}`);
    const r = await runFault({ schedule: schedule as Schedule, seed: s, durationMs: DURATION_MS, acks: -1 });
    assert.ok(r.verdict.stats.acked > 1000, `the load went on: ${JSON.stringify(r.verdict.stats)}`);
    assert.ok(r.events.some((e) => /SIGKILL|SIGSTOP|SIGTERM|cut /.test(e)), 'the nemesis did something');
    assert.ok(r.valid, describe(r, s));
  });
}

test('negative control: isolate-leader with acks=1 loses acknowledged writes, and the checker reports them', async (t) => {
  const s = seed();
  t.diagnostic(`seed ${s}`);
  const r = await runFault({ schedule: 'isolate-leader', seed: s, durationMs: DURATION_MS, acks: 1 });
  assert.ok(r.verdict.counts.lost > 0, `an isolated acks=1 leader acknowledged writes the new leader never had; the checker saw none: ${describe(r, s)}`);
  assert.equal(r.diverged.length, 0, 'losing acks=1 writes is truncation, not divergence: the replicas still converge');
});
