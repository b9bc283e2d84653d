/**
 * The real thing: a child process appending (durable mode, then os mode) is killed with SIGKILL
 * mid-stream; after a restart every acknowledged batch is there, byte-identical, in order.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { LogManager, type PartitionLog } from '../../../src/storage/index.js';
import { childBatch } from './fixtures/append-child.js';
import { removeDir, splitBatches, tempDir } from './helpers.js';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'append-child.js');

/** Runs the child until it acknowledged `acks` appends, then SIGKILLs it. Returns the acks seen. */
async function runAndKill(dir: string, durable: boolean, acks: number): Promise<Map<number, bigint>> {
  const child = spawn(process.execPath, [CHILD, dir, String(durable)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const seen = new Map<number, bigint>();
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let buffered = '';
  let killed = false;
  const timer = setTimeout(() => {
    if (!killed && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
  }, 20_000);
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      const m = /^ack (\d+) (\d+)$/.exec(line);
      if (m) seen.set(Number(m[1]), BigInt(m[2]!));
    }
    if (!killed && seen.size >= acks && child.pid !== undefined) {
      killed = true;
      process.kill(child.pid, 'SIGKILL');
    }
  });
  await exited;
  clearTimeout(timer);
  assert.ok(killed, `child exited before being killed: ${stderr}`);
  return seen;
}

async function readAll(log: PartitionLog): Promise<Buffer[]> {
  const out: Buffer[] = [];
  let offset = log.logStartOffset;
  while (offset < log.logEndOffset) {
    const batches = splitBatches(await log.readRecords(offset, 1 << 20, log.logEndOffset));
    if (batches.length === 0) break;
    out.push(...batches);
    const last = batches[batches.length - 1]!;
    offset = last.readBigInt64BE(0) + BigInt(last.readInt32BE(23)) + 1n;
  }
  return out;
}

describe('SIGKILL during appends', () => {
  for (const durable of [true, false]) {
    it(`every acknowledged batch survives kill -9 (${durable ? 'durable' : 'os'} mode)`, async () => {
      const dir = await tempDir();
      try {
        const acks = await runAndKill(dir, durable, 400);
        const manager = await LogManager.open({ logDirs: [dir] });
        try {
          assert.equal(manager.loadStats.cleanShutdown, false);
          const log = manager.getLog('t', 0)!;
          const batches = await readAll(log);
          const maxAcked = Math.max(...acks.keys());
          assert.ok(batches.length > maxAcked, `${batches.length} batches recovered, batch ${maxAcked} was acknowledged`);
          // In order and byte-identical: batch i was appended i-th (appends are queued in call order).
          let offset = 0n;
          for (let i = 0; i < batches.length; i++) {
            const expected = childBatch(i);
            expected.writeBigInt64BE(offset, 0);
            expected.writeInt32BE(0, 12);
            assert.deepEqual(batches[i], expected, `batch ${i}`);
            if (acks.has(i)) assert.equal(acks.get(i), offset, `acknowledged offset of batch ${i}`);
            offset += BigInt(expected.readInt32BE(23)) + 1n;
          }
          assert.equal(log.logEndOffset, offset);
          assert.equal((await log.append(childBatch(0), 1)).firstOffset, offset, 'offsets are not reused');
        } finally {
          await manager.close();
        }
      } finally {
        await removeDir(dir);
      }
    });
  }
});
