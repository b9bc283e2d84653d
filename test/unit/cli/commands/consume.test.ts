import { test } from 'node:test';
import assert from 'node:assert/strict';
import { consumePlan, parseFrom } from '../../../../src/cli/commands/consume.js';
import { UsageError } from '../../../../src/cli/settings.js';

test('--from', () => {
  assert.deepEqual(parseFrom('start'), { kind: 'earliest' });
  assert.deepEqual(parseFrom('end'), { kind: 'latest' });
  assert.deepEqual(parseFrom('42'), { kind: 'offset', offset: 42n });
  assert.deepEqual(parseFrom('-10'), { kind: 'fromEnd', n: 10n });
  assert.deepEqual(parseFrom('@1700000000000'), { kind: 'time', ms: 1700000000000 });
  assert.throws(() => parseFrom('soon'), UsageError);
});

test('kafka-console-consumer flags: the --topic form starts at the end and follows; ours starts at the start and stops', () => {
  const base = { from: 'start', idleTimeout: 3000 };
  const kafka = consumePlan(undefined, { ...base, topic: 't' }, false);
  assert.deepEqual([kafka.topic, kafka.start, kafka.follow, kafka.kafkaForm], ['t', { kind: 'latest' }, true, true]);
  const ours = consumePlan('t', base, false);
  assert.deepEqual([ours.start, ours.follow, ours.kafkaForm], [{ kind: 'earliest' }, false, false]);
  assert.deepEqual(consumePlan(undefined, { ...base, topic: 't', fromBeginning: true }, false).start, { kind: 'earliest' });
  assert.deepEqual(consumePlan(undefined, { ...base, topic: 't', from: '-5' }, true).start, { kind: 'fromEnd', n: 5n });
  assert.deepEqual(consumePlan(undefined, { ...base, topic: 't', partition: 0, offset: '12345678901' }, false).start, { kind: 'offset', offset: 12345678901n });
  assert.deepEqual(consumePlan(undefined, { ...base, topic: 't', partition: 0, offset: 'LATEST' }, false).start, { kind: 'latest' });
  assert.equal(consumePlan('t', { ...base, maxMessages: 3 }, false).max, 3);
  const rec = { topic: 't', partition: 0, offset: 0n, timestamp: 0n, timestampType: 0, key: null, value: null, headers: [] };
  assert.equal(kafka.render(rec), 'null\n', 'kafka-console-consumer prints a null value as null');
  assert.equal(ours.render(rec), '\n');
  const bad: [Parameters<typeof consumePlan>[1], RegExp][] = [
    [{ ...base, topic: 't', fromBeginning: true, partition: 0, offset: '1' }, /one of --from, --from-beginning, --offset/],
    [{ ...base, topic: 't', offset: '1' }, /--offset needs --partition/],
    [{ ...base, topic: 't', partition: 0, offset: '-1' }, /--offset -1: expected earliest, latest/],
    [{ ...base, topic: 't', property: ['print.key=true'], json: true }, /not with --json or --format/],
    [{ ...base }, /no topic/],
  ];
  for (const [o, message] of bad) assert.throws(() => consumePlan(undefined, o, false), message);
});
