import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Limiter } from '../../../src/util/limiter.js';

test('at most max tasks run at once, waiters start in order, a failing task frees its slot', async () => {
  const limiter = new Limiter(3);
  let running = 0;
  let most = 0;
  const started: number[] = [];
  const results = await Promise.allSettled(
    Array.from({ length: 10 }, (_, i) =>
      limiter.run(async () => {
        started.push(i);
        running++;
        most = Math.max(most, running);
        await new Promise((r) => setTimeout(r, 5));
        running--;
        if (i === 4) throw new Error('four');
        return i;
      }),
    ),
  );
  assert.equal(most, 3);
  assert.deepEqual(started, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.equal(results.filter((r) => r.status === 'fulfilled').length, 9);
  // Every slot came back: a new task starts at once.
  assert.equal(await limiter.run(async () => running), 0);
});
