import { test } from 'node:test';
import assert from 'node:assert/strict';
import { consoleFormatter, consoleLineReader } from '../../../src/cli/kafka-console.js';
import { UsageError } from '../../../src/cli/settings.js';

const rec = { topic: 't', partition: 2, offset: 41n, timestamp: 1_700_000_000_000n, timestampType: 0, key: Buffer.from('k'), value: Buffer.from('v'), headers: [{ key: 'a', value: Buffer.from('1') }, { key: 'b', value: null }] };

test('console formatter: the value alone by default, columns in kafka-console-consumer order', () => {
  assert.equal(consoleFormatter([])(rec), 'v\n');
  assert.equal(consoleFormatter([])({ ...rec, value: null }), 'null\n');
  const all = ['print.timestamp=true', 'print.partition=true', 'print.offset=true', 'print.headers=true', 'print.key=true'];
  assert.equal(consoleFormatter(all)(rec), 'CreateTime:1700000000000\tPartition:2\tOffset:41\ta:1,b:null\tk\tv\n');
  assert.equal(consoleFormatter([...all, 'key.separator=|', 'headers.separator=;', 'null.literal=~', 'line.separator=;;'])({ ...rec, timestampType: 1, key: null }), 'LogAppendTime:1700000000000|Partition:2|Offset:41|a:1;b:~|~|v;;');
  assert.equal(consoleFormatter(['print.headers=TRUE', 'print.value=false'])({ ...rec, headers: [] }), 'NO_HEADERS\n');
  assert.equal(consoleFormatter(['print.key=yes'])(rec), 'v\n', 'only "true" is true');
  assert.equal(consoleFormatter(['print.timestamp=true'])({ ...rec, timestampType: -1 }), 'NO_TIMESTAMP\tv\n');
  assert.equal(consoleFormatter(['value.deserializer=org.apache.kafka.common.serialization.StringDeserializer'])(rec), 'v\n');
  assert.throws(() => consoleFormatter(['print.keys=true']), (e: Error) => e instanceof UsageError && /unknown --property print\.keys/.test(e.message));
  assert.throws(() => consoleFormatter(['value.deserializer=org.apache.kafka.common.serialization.LongDeserializer']), /only StringDeserializer and ByteArrayDeserializer/);
});

test('console line reader: headers, key and value as kafka-console-producer splits them', () => {
  assert.deepEqual(consoleLineReader(['parse.key=false']).read('a\tb', 1), { key: null, value: 'a\tb', headers: [] });
  assert.deepEqual(consoleLineReader(['parse.key=true']).read('k\tv\tw', 1), { key: 'k', value: 'v\tw', headers: [] });
  assert.deepEqual(consoleLineReader(['parse.key=true', 'key.separator=::']).read('k::v', 1), { key: 'k', value: 'v', headers: [] });
  const r = consoleLineReader(['parse.headers=true', 'parse.key=true', 'null.marker=N']);
  assert.deepEqual(r.read('x:1,y:N\tN\tN', 1), { key: null, value: null, headers: [{ key: 'x', value: Buffer.from('1') }, { key: 'y', value: null }] });
  assert.deepEqual(r.read('N\tk\tv', 1), { key: 'k', value: 'v', headers: [] });
  assert.throws(() => r.read('N:1\tk\tv', 3), /header keys should not be equal to the null marker 'N'/);
  assert.throws(() => consoleLineReader(['parse.key=true']).read('no-separator', 7), (e: Error) => e instanceof UsageError && e.message === "no key separator found on line number 7: 'no-separator'");
  assert.throws(() => consoleLineReader(['parse.headers=true']).read('h:1,h2\tv', 2), /no header key separator found in pair 'h2' on line number 2/);
  const lenient = consoleLineReader(['parse.headers=true', 'parse.key=true', 'ignore.error=true']);
  assert.deepEqual(lenient.read('h2\tv', 1), { key: null, value: 'v', headers: [{ key: 'h2', value: null }] });
  assert.deepEqual(lenient.read('plain', 1), { key: null, value: 'plain', headers: [] });
  assert.throws(() => consoleLineReader(['headers.separator=:']), /headers.separator and headers.key.separator may not be equal/);
  assert.throws(() => consoleLineReader(['null.marker=\t']), /null.marker and key.separator may not be equal/);
  assert.throws(() => consoleLineReader(['parse.kye=true']), /unknown --property parse\.kye for the producer/);
});
