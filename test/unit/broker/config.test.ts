import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BrokerConfig, ConfigError, configFromEnvironment, parseProperties } from '../../../src/broker/config.js';

test('server.properties syntax: comments, separators, continuations, escapes', () => {
  const p = parseProperties(['# comment', '! also', 'a=1', 'b : two', 'c three', 'd=x\\', '  y', 'e=with\\=equals', '', 'empty='].join('\n'));
  assert.deepEqual(Object.fromEntries(p), { a: '1', b: 'two', c: 'three', d: 'xy', e: 'with=equals', empty: '' });
});

test("Kafka's defaults with no configuration", () => {
  const c = new BrokerConfig();
  assert.deepEqual(c.listeners(), [{ name: 'PLAINTEXT', host: '', port: 9092 }]);
  assert.deepEqual(c.advertisedListeners(), [{ name: 'PLAINTEXT', host: 'localhost', port: 9092 }]);
  assert.equal(c.int('num.partitions'), 1);
  assert.equal(c.bool('auto.create.topics.enable'), true);
  assert.equal(c.retentionMs(), 168 * 3_600_000);
  assert.equal(c.int('message.max.bytes'), 1048588);
  assert.equal(c.bool('samsa.log.flush.durable'), true);
});

test('invalid values fail and name the key; unknown keys only warn', () => {
  assert.throws(() => new BrokerConfig(new Map([['num.partitions', 'many']])), (e: unknown) => e instanceof ConfigError && /num\.partitions/.test(e.message));
  assert.throws(() => new BrokerConfig(new Map([['num.partitions', '0']])), /num\.partitions.*at least 1/);
  assert.throws(() => new BrokerConfig(new Map([['auto.create.topics.enable', 'yes']])), /auto\.create\.topics\.enable/);
  assert.throws(() => new BrokerConfig(new Map([['listeners', 'localhost:9092']])), /listeners/);
  assert.throws(() => new BrokerConfig(new Map([['compression.type', 'brotli']])), /compression\.type/);
  const c = new BrokerConfig(new Map([['made.up.key', '1']]));
  assert.match(c.warnings.join('\n'), /unknown configuration made\.up\.key/);
});

test('precedence: retention ms over minutes over hours; broker.id as node.id', () => {
  assert.equal(new BrokerConfig(new Map([['log.retention.minutes', '5']])).retentionMs(), 300_000);
  assert.equal(new BrokerConfig(new Map([['log.retention.minutes', '5'], ['log.retention.ms', '42']])).retentionMs(), 42);
  assert.equal(new BrokerConfig(new Map([['broker.id', '7']])).nodeId, 7);
});

test("environment variables as Kafka's docker images use them", () => {
  const env = { KAFKA_LOG_DIRS: '/a', KAFKA_CFG_NUM_PARTITIONS: '4', KAFKA_HEAP_OPTS: '-Xmx1G', KAFKA_CFG_AUTO_CREATE_TOPICS_ENABLE: 'false', PATH: '/bin' };
  assert.deepEqual(Object.fromEntries(configFromEnvironment(env)), { 'log.dirs': '/a', 'num.partitions': '4', 'auto.create.topics.enable': 'false' });
  // KAFKA_CFG_ wins over KAFKA_ for the same key.
  assert.equal(configFromEnvironment({ KAFKA_LOG_DIRS: '/x', KAFKA_CFG_LOG_DIRS: '/y' }).get('log.dirs'), '/y');
  const c = BrokerConfig.fromSources({ env, overrides: { 'num.partitions': 6 } });
  assert.deepEqual(c.logDirs(), ['/a']);
  assert.equal(c.int('num.partitions'), 6);
});

test('advertised listeners: wildcard hosts become localhost, explicit ones win', () => {
  const c = new BrokerConfig(new Map([['listeners', 'PLAINTEXT://0.0.0.0:9093,CONTROLLER://:9094']]));
  assert.deepEqual(c.advertisedListeners(), [{ name: 'PLAINTEXT', host: 'localhost', port: 9093 }]);
  const d = new BrokerConfig(new Map([['advertised.listeners', 'PLAINTEXT://kafka.example:19092']]));
  assert.deepEqual(d.advertisedListeners(), [{ name: 'PLAINTEXT', host: 'kafka.example', port: 19092 }]);
});

test('cluster keys: etcd endpoints and prefix (also from SAMSA_ETCD_*), the broker session and heartbeat', () => {
  const none = new BrokerConfig();
  assert.deepEqual(none.list('samsa.etcd.endpoints'), []);
  assert.equal(none.str('samsa.etcd.prefix'), '/samsa');
  assert.equal(none.int('broker.session.timeout.ms'), 9000);
  assert.equal(none.int('broker.heartbeat.interval.ms'), 2000);
  const env = configFromEnvironment({ SAMSA_ETCD_ENDPOINTS: 'http://127.0.0.1:2379, http://127.0.0.2:2379', SAMSA_ETCD_PREFIX: '/c2', SAMSA_BROKERS: 'x:1' });
  assert.deepEqual(Object.fromEntries(env), { 'samsa.etcd.endpoints': 'http://127.0.0.1:2379, http://127.0.0.2:2379', 'samsa.etcd.prefix': '/c2' });
  assert.deepEqual(new BrokerConfig(env).list('samsa.etcd.endpoints'), ['http://127.0.0.1:2379', 'http://127.0.0.2:2379']);
  assert.throws(() => new BrokerConfig(new Map([['broker.session.timeout.ms', '10']])), /broker\.session\.timeout\.ms/);
});
