import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFrom } from '../../../../src/cli/commands/consume.js';
import { UsageError } from '../../../../src/cli/settings.js';

test('--from', () => {
  assert.deepEqual(parseFrom('start'), { kind: 'earliest' });
  assert.deepEqual(parseFrom('end'), { kind: 'latest' });
  assert.deepEqual(parseFrom('42'), { kind: 'offset', offset: 42n });
  assert.deepEqual(parseFrom('-10'), { kind: 'fromEnd', n: 10n });
  assert.deepEqual(parseFrom('@1700000000000'), { kind: 'time', ms: 1700000000000 });
  assert.throws(() => parseFrom('soon'), UsageError);
});
