// The config admin APIs: DescribeConfigs, AlterConfigs and IncrementalAlterConfigs of topics,
// the broker, the cluster default and broker loggers, at every version both brokers serve.
// Sessions that change dynamic broker configs put them back before they end, as other sessions
// share the brokers.
import { AlterConfigs, DescribeConfigs, IncrementalAlterConfigs } from '../../../src/protocol/generated/index.js';
import type { AllowEntry, Session, SessionPeer } from '../harness.js';
import { APPEND, BROKER, BROKER_LOGGER, DELETE, SET, SUBTRACT, TOPIC, describe, describeCall, describeTopic, latest } from './admin-util.js';
import { createTopic } from './util.js';

function alterRequest(resources: [number, string, Record<string, string | null>][], validateOnly = false) {
  return { resources: resources.map(([resourceType, resourceName, c]) => ({ resourceType, resourceName, configs: Object.entries(c).map(([name, value]) => ({ name, value })) })), validateOnly };
}

/**
 * Waits (not recorded) until a DescribeConfigs of one key shows `value` (undefined: the key is
 * not listed): Apache Kafka applies config changes on the broker after the controller committed them.
 */
async function settled(peer: SessionPeer, type: number, name: string, key: string, value: string | undefined): Promise<void> {
  try {
    await peer.quiet(DescribeConfigs, 4, describe([[type, name, [key]]]), (res) => res.results[0]!.configs.find((c) => c.name === key)?.value !== value, 10_000);
  } catch {
    // The change did not happen (the recorded answers show why); carry on.
  }
}

/** Waits (not recorded, at most 5 s) until a DescribeConfigs of one key lists it. */
async function listed(peer: SessionPeer, type: number, name: string, key: string): Promise<void> {
  try {
    await peer.quiet(DescribeConfigs, 4, describe([[type, name, [key]]]), (res) => !res.results[0]!.configs.some((c) => c.name === key), 5_000);
  } catch {
    // not listed: the recorded answer shows it
  }
}

/** Puts the dynamic broker configs this module changes back to none (not recorded). */
async function resetBrokerConfigs(peer: SessionPeer): Promise<void> {
  const keys = ['log.retention.bytes', 'log.cleanup.policy', 'log.cleaner.backoff.ms', 'compression.type', 'no.such.config'];
  for (const name of ['1', '']) {
    await peer.quiet(IncrementalAlterConfigs, 1, { resources: [{ resourceType: BROKER, resourceName: name, configs: keys.map((k) => ({ name: k, configOperation: DELETE, value: null })) }], validateOnly: false });
  }
}

/** The config keys of one DescribeConfigs answer that are dynamic broker configs. */
const DYNAMIC_KEYS = ['log.retention.bytes', 'log.cleanup.policy', 'log.cleaner.backoff.ms', 'compression.type', 'message.max.bytes', 'log.segment.bytes'];

export const sessions: Session[] = [
  {
    name: 'adm-describe-topic',
    async run(peer) {
      const p = 'adm-describe-topic';
      await createTopic(peer, `${p}-plain`);
      await createTopic(peer, `${p}-overrides`, 1, { 'cleanup.policy': 'compact,delete', 'retention.ms': '86400000', 'min.insync.replicas': '1', 'compression.type': 'lz4' });
      const keys = ['cleanup.policy', 'retention.ms', 'retention.bytes', 'segment.bytes', 'min.insync.replicas', 'compression.type', 'max.message.bytes', 'message.timestamp.type', 'unclean.leader.election.enable'];
      for (const v of peer.versions(DescribeConfigs)) {
        await describeCall(peer, v, describe([[TOPIC, `${p}-overrides`, keys], [TOPIC, `${p}-plain`, keys]]), `DescribeConfigs topics, keys v${v}`);
        await describeCall(peer, v, describe([[TOPIC, `${p}-overrides`, null]]), `DescribeConfigs topic, all keys v${v}`);
        await describeCall(peer, v, describe([[TOPIC, `${p}-overrides`, []]]), `DescribeConfigs topic, empty key list v${v}`);
        await describeCall(peer, v, describe([[TOPIC, `${p}-overrides`, keys]], true), `DescribeConfigs topic, synonyms v${v}`);
        await describeCall(peer, v, describe([[TOPIC, `${p}-plain`, null]], true), `DescribeConfigs topic, all keys with synonyms v${v}`);
        if (v >= 3) await describeCall(peer, v, describe([[TOPIC, `${p}-overrides`, ['retention.ms', 'no.such.config']]], true, true), `DescribeConfigs topic, documentation v${v}`);
        await describeCall(peer, v, describe([[TOPIC, `${p}-unknown`, null], [TOPIC, 'bad name!', null], [TOPIC, '', null]]), `DescribeConfigs unknown and invalid topics v${v}`);
        await describeCall(peer, v, describe([[99, 'x', null], [0, 'x', null]]), `DescribeConfigs invalid resource types v${v}`);
      }
    },
  },
  {
    name: 'adm-describe-broker',
    async run(peer) {
      for (const v of peer.versions(DescribeConfigs)) {
        await describeCall(peer, v, describe([[BROKER, '1', null]]), `DescribeConfigs broker v${v}`);
        await describeCall(peer, v, describe([[BROKER, '1', ['log.retention.hours', 'num.partitions', 'message.max.bytes', 'log.segment.bytes', 'auto.create.topics.enable', 'no.such.config']]], true), `DescribeConfigs broker keys, synonyms v${v}`);
        await describeCall(peer, v, describe([[BROKER, '', null]], true), `DescribeConfigs broker default v${v}`);
        await describeCall(peer, v, describe([[BROKER, '2', null], [BROKER, 'one', null]]), `DescribeConfigs other brokers v${v}`);
        await describeCall(peer, v, describe([[BROKER_LOGGER, '', null], [BROKER_LOGGER, '2', null]]), `DescribeConfigs broker logger errors v${v}`);
      }
      await describeCall(peer, latest(peer, DescribeConfigs), describe([[BROKER, '1', null]], true), 'DescribeConfigs broker with synonyms');
      await describeCall(peer, latest(peer, DescribeConfigs), describe([[BROKER_LOGGER, '1', ['no.such.logger']]]), 'DescribeConfigs broker logger, unknown logger');
      await describeCall(peer, latest(peer, DescribeConfigs), describe([[BROKER_LOGGER, '1', null]]), 'DescribeConfigs broker loggers');
    },
  },
  {
    name: 'adm-alter',
    async run(peer) {
      const p = 'adm-alter';
      const keys = ['cleanup.policy', 'retention.ms', 'segment.bytes', 'max.message.bytes'];
      try {
        for (const v of peer.versions(AlterConfigs)) {
          const name = `${p}-v${v}`;
          await createTopic(peer, name, 1, { 'segment.bytes': '1048576' });
          const alter = (resources: [number, string, Record<string, string | null>][], label: string, validateOnly = false) =>
            peer.call(AlterConfigs, v, alterRequest(resources, validateOnly), { label: `AlterConfigs ${label} v${v}` });
          await alter([[TOPIC, name, { 'cleanup.policy': 'compact', 'retention.ms': '7200000' }]], 'topic');
          await settled(peer, TOPIC, name, 'retention.ms', '7200000');
          // Keys left out (segment.bytes) are removed.
          await describeTopic(peer, name, keys, `DescribeConfigs after AlterConfigs v${v}`);
          await alter([[TOPIC, name, { 'retention.ms': '1000' }]], 'topic validateOnly', true);
          await alter([[TOPIC, name, { 'retention.ms': 'soon' }]], 'invalid value');
          await alter([[TOPIC, name, { 'no.such.config': '1' }]], 'unknown config');
          await alter([[TOPIC, name, { 'retention.ms': null }]], 'null value');
          await alter([[TOPIC, `${p}-unknown`, { 'retention.ms': '1000' }], [TOPIC, 'bad name!', { 'retention.ms': '1000' }], [TOPIC, '', { 'retention.ms': '1000' }]], 'unknown and invalid topics');
          if (v === latest(peer, AlterConfigs)) {
            // Apache Kafka 4.1 never answers this one: on a connection of its own, with a short timeout.
            const conn = await peer.connection();
            await peer.callOn(conn, AlterConfigs, v, alterRequest([[TOPIC, name, { 'retention.ms': '1000' }], [TOPIC, name, { 'retention.ms': '2000' }]]), { label: `AlterConfigs duplicate resource v${v}`, timeoutMs: 5000 });
            conn.close();
          }
          await describeTopic(peer, name, keys, `DescribeConfigs after failed AlterConfigs v${v}`);
          await alter([[BROKER, '1', { 'log.retention.bytes': '1073741824', 'log.cleaner.backoff.ms': '20000' }]], 'broker');
          // Kafka 4.1 (with ELR) refuses to drop the cluster-level min.insync.replicas its bootstrap wrote.
          await alter([[BROKER, '', { 'log.retention.bytes': '2147483648' }]], 'broker default without min.insync.replicas, validateOnly', true);
          await alter([[BROKER, '', { 'log.retention.bytes': '2147483648', 'min.insync.replicas': '1' }]], 'broker default');
          await settled(peer, BROKER, '1', 'log.retention.bytes', '1073741824');
          await settled(peer, BROKER, '', 'log.retention.bytes', '2147483648');
          await describeCall(peer, latest(peer, DescribeConfigs), describe([[BROKER, '1', DYNAMIC_KEYS], [BROKER, '', DYNAMIC_KEYS]], true), `DescribeConfigs broker after AlterConfigs v${v}`);
          await describeTopic(peer, name, ['retention.bytes'], `DescribeConfigs topic after broker AlterConfigs v${v}`);
          await alter([[BROKER, '1', { 'log.retention.bytes': 'lots' }]], 'broker invalid value');
          await alter([[BROKER, '1', { 'log.dirs': '/tmp/elsewhere' }], [BROKER, '', { 'broker.id': '7' }]], 'broker read-only configs');
          await alter([[BROKER, '1', { 'no.such.config': '1' }]], 'broker unknown config');
          await alter([[BROKER, '1', { 'log.retention.bytes': '1' }]], 'broker validateOnly', true);
          await alter([[BROKER, '2', { 'log.retention.bytes': '1' }], [BROKER, 'one', { 'log.retention.bytes': '1' }], [BROKER_LOGGER, '1', { root: 'DEBUG' }], [99, 'x', {}]], 'other resources');
          await alter([[BROKER, '1', {}], [BROKER, '', { 'min.insync.replicas': '1' }]], 'broker reset');
          await settled(peer, BROKER, '1', 'log.retention.bytes', '-1');
          await settled(peer, BROKER, '', 'log.retention.bytes', undefined);
          await describeCall(peer, latest(peer, DescribeConfigs), describe([[BROKER, '1', DYNAMIC_KEYS], [BROKER, '', DYNAMIC_KEYS]], true), `DescribeConfigs broker after reset v${v}`);
        }
      } finally {
        await resetBrokerConfigs(peer);
        // The cluster-level min.insync.replicas set above (Kafka has its own from its bootstrap
        // and refuses to remove it; Samsa removes it, so that later sessions see the default).
        await peer.call(IncrementalAlterConfigs, latest(peer, IncrementalAlterConfigs), { resources: [{ resourceType: BROKER, resourceName: '', configs: [{ name: 'min.insync.replicas', configOperation: DELETE, value: null }] }], validateOnly: false }, { label: 'IncrementalAlterConfigs remove the cluster-level min.insync.replicas' });
      }
    },
  },
  {
    name: 'adm-incremental',
    async run(peer) {
      const p = 'adm-incremental';
      const keys = ['cleanup.policy', 'retention.ms', 'segment.bytes', 'leader.replication.throttled.replicas', 'compression.type'];
      try {
        for (const v of peer.versions(IncrementalAlterConfigs)) {
          const name = `${p}-v${v}`;
          await createTopic(peer, name, 1, { 'segment.bytes': '1048576' });
          const alter = (resources: [number, string, [string, number, string | null][]][], label: string, validateOnly = false) =>
            peer.call(IncrementalAlterConfigs, v, { resources: resources.map(([resourceType, resourceName, ops]) => ({ resourceType, resourceName, configs: ops.map(([n, op, value]) => ({ name: n, configOperation: op, value })) })), validateOnly }, { label: `IncrementalAlterConfigs ${label} v${v}` });
          await alter([[TOPIC, name, [['retention.ms', SET, '7200000'], ['compression.type', SET, 'zstd']]]], 'set');
          await settled(peer, TOPIC, name, 'compression.type', 'zstd');
          await describeTopic(peer, name, keys, `DescribeConfigs after SET v${v}`);
          await alter([[TOPIC, name, [['cleanup.policy', APPEND, 'compact']]]], 'append');
          await settled(peer, TOPIC, name, 'cleanup.policy', 'delete,compact');
          await describeTopic(peer, name, keys, `DescribeConfigs after APPEND v${v}`);
          await alter([[TOPIC, name, [['cleanup.policy', APPEND, 'compact'], ['leader.replication.throttled.replicas', APPEND, '0:1,1:1']]]], 'append present and to an empty list');
          await settled(peer, TOPIC, name, 'leader.replication.throttled.replicas', '0:1,1:1');
          await alter([[TOPIC, name, [['cleanup.policy', SUBTRACT, 'delete'], ['leader.replication.throttled.replicas', SUBTRACT, '1:1,5:5']]]], 'subtract');
          await settled(peer, TOPIC, name, 'cleanup.policy', 'compact');
          await describeTopic(peer, name, keys, `DescribeConfigs after SUBTRACT v${v}`);
          await alter([[TOPIC, name, [['cleanup.policy', SUBTRACT, 'compact']]]], 'subtract the last item');
          await settled(peer, TOPIC, name, 'cleanup.policy', '');
          await describeTopic(peer, name, keys, `DescribeConfigs after SUBTRACT of the last item v${v}`);
          await alter([[TOPIC, name, [['segment.bytes', DELETE, null], ['retention.ms', DELETE, 'ignored'], ['no.such.config', DELETE, null]]]], 'delete');
          await settled(peer, TOPIC, name, 'segment.bytes', '1073741824');
          await describeTopic(peer, name, keys, `DescribeConfigs after DELETE v${v}`);
          await alter([[TOPIC, name, [['retention.ms', APPEND, '1']]]], 'append to a non-list');
          await alter([[TOPIC, name, [['retention.ms', SUBTRACT, '1']]]], 'subtract from a non-list');
          await alter([[TOPIC, name, [['retention.ms', SET, 'soon']]]], 'invalid value');
          await alter([[TOPIC, name, [['cleanup.policy', APPEND, 'forever']]]], 'append an invalid item');
          await alter([[TOPIC, name, [['no.such.config', SET, '1']]]], 'unknown config');
          await alter([[TOPIC, name, [['retention.ms', SET, null]]]], 'set null');
          await alter([[TOPIC, name, [['retention.ms', 7, '1']]]], 'unknown operation');
          await alter([[TOPIC, name, [['retention.ms', SET, '1'], ['retention.ms', DELETE, null]]]], 'one key twice');
          await alter([[TOPIC, name, [['retention.ms', SET, '1000']]]], 'validateOnly', true);
          await alter([[TOPIC, `${p}-unknown`, [['retention.ms', SET, '1000']]], [TOPIC, 'bad name!', [['retention.ms', SET, '1000']]], [TOPIC, '', [['retention.ms', SET, '1000']]]], 'unknown and invalid topics');
          await alter([[TOPIC, name, [['retention.ms', SET, '1000']]], [TOPIC, name, [['retention.ms', SET, '2000']]]], 'duplicate resource');
          await describeTopic(peer, name, keys, `DescribeConfigs after failed changes v${v}`);
          // Broker dynamic configs.
          await alter([[BROKER, '1', [['log.retention.bytes', SET, '1073741824'], ['log.cleanup.policy', APPEND, 'compact']]]], 'broker set and append');
          await alter([[BROKER, '', [['compression.type', SET, 'gzip']]]], 'broker default set');
          await settled(peer, BROKER, '', 'compression.type', 'gzip');
          await settled(peer, BROKER, '1', 'compression.type', 'gzip');
          await settled(peer, BROKER, '1', 'log.retention.bytes', '1073741824');
          await describeCall(peer, latest(peer, DescribeConfigs), describe([[BROKER, '1', DYNAMIC_KEYS], [BROKER, '', DYNAMIC_KEYS]], true), `DescribeConfigs broker after IncrementalAlterConfigs v${v}`);
          await describeTopic(peer, name, ['retention.bytes', 'cleanup.policy', 'compression.type'], `DescribeConfigs topic after broker changes v${v}`);
          await alter([[BROKER, '1', [['log.cleanup.policy', SUBTRACT, 'compact'], ['log.retention.bytes', DELETE, null]]]], 'broker subtract and delete');
          await settled(peer, BROKER, '1', 'log.retention.bytes', '-1');
          await alter([[BROKER, '1', [['log.retention.bytes', SET, 'lots']]]], 'broker invalid value');
          await alter([[BROKER, '1', [['log.dirs', SET, '/tmp/elsewhere']]], [BROKER, '', [['broker.id', DELETE, null]]]], 'broker read-only configs');
          await alter([[BROKER, '1', [['no.such.config', SET, '1']]]], 'broker unknown config');
          await listed(peer, BROKER, '1', 'no.such.config');
          await describeCall(peer, latest(peer, DescribeConfigs), describe([[BROKER, '1', ['no.such.config']]], true), `DescribeConfigs broker unknown config v${v}`);
          await alter([[BROKER, '1', [['log.retention.bytes', APPEND, '1']]]], 'broker append to a non-list');
          await alter([[BROKER, '1', [['log.retention.bytes', SET, '1']]]], 'broker validateOnly', true);
          await alter([[BROKER, '2', [['log.retention.bytes', SET, '1']]], [BROKER, 'one', [['log.retention.bytes', SET, '1']]], [99, 'x', []]], 'other resources');
          await alter([[BROKER, '', [['compression.type', DELETE, null]]]], 'broker default delete');
          await settled(peer, BROKER, '1', 'compression.type', 'producer');
          await settled(peer, BROKER, '', 'compression.type', undefined);
          await describeCall(peer, latest(peer, DescribeConfigs), describe([[BROKER, '1', DYNAMIC_KEYS], [BROKER, '', DYNAMIC_KEYS]], true), `DescribeConfigs broker after reset v${v}`);
        }
        await peer.call(IncrementalAlterConfigs, latest(peer, IncrementalAlterConfigs), { resources: [{ resourceType: BROKER_LOGGER, resourceName: '1', configs: [{ name: 'no.such.logger', configOperation: SET, value: 'DEBUG' }] }], validateOnly: true }, { label: 'IncrementalAlterConfigs broker logger' });
      } finally {
        await resetBrokerConfigs(peer);
      }
    },
  },
];

/** Broker configs of Apache Kafka 4.1 that Samsa does not know (yet): security (SASL, SSL), quotas, replication, KRaft, tiered storage, share and streams groups, metrics, purgatories. */
const KAFKA_ONLY_BROKER_CONFIGS = [
  'add.partitions.to.txn.retry.backoff.max.ms', 'add.partitions.to.txn.retry.backoff.ms', 'alter.config.policy.class.name',
  'alter.log.dirs.replication.quota.window.num', 'alter.log.dirs.replication.quota.window.size.seconds', 'authorizer.class.name',
  'auto.leader.rebalance.enable', 'background.threads',
  'client.quota.callback.class', 'connection.failed.authentication.delay.ms', 'connections.max.reauth.ms',
  'controller.quorum.append.linger.ms', 'controller.quorum.election.backoff.max.ms', 'controller.quorum.election.timeout.ms',
  'controller.quorum.fetch.timeout.ms', 'controller.quorum.request.timeout.ms', 'controller.quorum.retry.backoff.ms', 'controller.quota.window.num',
  'controller.quota.window.size.seconds', 'controller.socket.timeout.ms', 'create.topic.policy.class.name',
  'delegation.token.expiry.check.interval.ms', 'delegation.token.expiry.time.ms', 'delegation.token.max.lifetime.ms', 'delegation.token.secret.key',
  'delete.records.purgatory.purge.interval.requests', 'early.start.listeners', 'fetch.purgatory.purge.interval.requests', 'group.consumer.assignors',
  'group.consumer.heartbeat.interval.ms', 'group.consumer.max.heartbeat.interval.ms', 'group.consumer.max.session.timeout.ms',
  'group.consumer.max.size', 'group.consumer.migration.policy', 'group.consumer.min.heartbeat.interval.ms', 'group.consumer.min.session.timeout.ms',
  'group.consumer.session.timeout.ms', 'group.coordinator.append.linger.ms', 'group.coordinator.rebalance.protocols', 'group.coordinator.threads',
  'group.share.assignors', 'group.share.delivery.count.limit', 'group.share.heartbeat.interval.ms', 'group.share.max.heartbeat.interval.ms',
  'group.share.max.record.lock.duration.ms', 'group.share.max.session.timeout.ms', 'group.share.max.share.sessions', 'group.share.max.size',
  'group.share.min.heartbeat.interval.ms', 'group.share.min.record.lock.duration.ms', 'group.share.min.session.timeout.ms',
  'group.share.partition.max.record.locks', 'group.share.record.lock.duration.ms', 'group.share.session.timeout.ms',
  'group.streams.heartbeat.interval.ms', 'group.streams.max.heartbeat.interval.ms', 'group.streams.max.session.timeout.ms', 'group.streams.max.size',
  'group.streams.max.standby.replicas', 'group.streams.min.heartbeat.interval.ms', 'group.streams.min.session.timeout.ms',
  'group.streams.num.standby.replicas', 'group.streams.session.timeout.ms', 'initial.broker.registration.timeout.ms',
  'kafka.metrics.polling.interval.secs', 'kafka.metrics.reporters', 'leader.imbalance.check.interval.seconds', 'log.dir.failure.timeout.ms',
  'log.flush.start.offset.checkpoint.interval.ms', 'max.connection.creation.rate', 'max.connections', 'max.connections.per.ip', 'max.connections.per.ip.overrides',
  'max.request.partition.size.limit', 'metadata.log.dir', 'metadata.log.max.record.bytes.between.snapshots', 'metadata.log.max.snapshot.interval.ms',
  'metadata.log.segment.bytes', 'metadata.log.segment.ms', 'metadata.max.idle.interval.ms', 'metadata.max.retention.bytes',
  'metadata.max.retention.ms', 'metric.reporters', 'metrics.num.samples', 'metrics.recording.level', 'metrics.sample.window.ms',
  'num.replica.alter.log.dirs.threads', 'num.replica.fetchers', 'offsets.commit.timeout.ms', 'offsets.load.buffer.size',
  'offsets.topic.compression.codec', 'principal.builder.class', 'producer.purgatory.purge.interval.requests', 'quota.window.num',
  'quota.window.size.seconds', 'remote.fetch.max.wait.ms', 'remote.list.offsets.request.timeout.ms', 'remote.log.index.file.cache.total.size.bytes',
  'remote.log.manager.copier.thread.pool.size', 'remote.log.manager.copy.max.bytes.per.second', 'remote.log.manager.copy.quota.window.num',
  'remote.log.manager.copy.quota.window.size.seconds', 'remote.log.manager.expiration.thread.pool.size',
  'remote.log.manager.fetch.max.bytes.per.second', 'remote.log.manager.fetch.quota.window.num', 'remote.log.manager.fetch.quota.window.size.seconds',
  'remote.log.manager.task.interval.ms', 'remote.log.manager.thread.pool.size', 'remote.log.metadata.custom.metadata.max.bytes',
  'remote.log.metadata.manager.class.name', 'remote.log.metadata.manager.class.path', 'remote.log.metadata.manager.impl.prefix',
  'remote.log.metadata.manager.listener.name', 'remote.log.reader.max.pending.tasks', 'remote.log.reader.threads',
  'remote.log.storage.manager.class.name', 'remote.log.storage.manager.class.path', 'remote.log.storage.manager.impl.prefix',
  'remote.log.storage.system.enable',
  'replica.socket.receive.buffer.bytes', 'replica.socket.timeout.ms', 'replication.quota.window.num',
  'replication.quota.window.size.seconds', 'request.timeout.ms', 'sasl.client.callback.handler.class', 'sasl.enabled.mechanisms', 'sasl.jaas.config',
  'sasl.kerberos.kinit.cmd', 'sasl.kerberos.min.time.before.relogin', 'sasl.kerberos.principal.to.local.rules', 'sasl.kerberos.service.name',
  'sasl.kerberos.ticket.renew.jitter', 'sasl.kerberos.ticket.renew.window.factor', 'sasl.login.callback.handler.class', 'sasl.login.class',
  'sasl.login.connect.timeout.ms', 'sasl.login.read.timeout.ms', 'sasl.login.refresh.buffer.seconds', 'sasl.login.refresh.min.period.seconds',
  'sasl.login.refresh.window.factor', 'sasl.login.refresh.window.jitter', 'sasl.login.retry.backoff.max.ms', 'sasl.login.retry.backoff.ms',
  'sasl.mechanism.controller.protocol', 'sasl.mechanism.inter.broker.protocol', 'sasl.oauthbearer.assertion.algorithm',
  'sasl.oauthbearer.assertion.claim.aud', 'sasl.oauthbearer.assertion.claim.exp.seconds', 'sasl.oauthbearer.assertion.claim.iss',
  'sasl.oauthbearer.assertion.claim.jti.include', 'sasl.oauthbearer.assertion.claim.nbf.seconds', 'sasl.oauthbearer.assertion.claim.sub',
  'sasl.oauthbearer.assertion.file', 'sasl.oauthbearer.assertion.private.key.file', 'sasl.oauthbearer.assertion.private.key.passphrase',
  'sasl.oauthbearer.assertion.template.file', 'sasl.oauthbearer.client.credentials.client.id', 'sasl.oauthbearer.client.credentials.client.secret',
  'sasl.oauthbearer.clock.skew.seconds', 'sasl.oauthbearer.expected.audience', 'sasl.oauthbearer.expected.issuer',
  'sasl.oauthbearer.jwks.endpoint.refresh.ms', 'sasl.oauthbearer.jwks.endpoint.retry.backoff.max.ms',
  'sasl.oauthbearer.jwks.endpoint.retry.backoff.ms', 'sasl.oauthbearer.jwks.endpoint.url', 'sasl.oauthbearer.jwt.retriever.class',
  'sasl.oauthbearer.jwt.validator.class', 'sasl.oauthbearer.scope', 'sasl.oauthbearer.scope.claim.name', 'sasl.oauthbearer.sub.claim.name',
  'sasl.oauthbearer.token.endpoint.url', 'sasl.server.callback.handler.class', 'sasl.server.max.receive.size', 'security.inter.broker.protocol',
  'security.providers', 'share.coordinator.append.linger.ms', 'share.coordinator.load.buffer.size',
  'share.coordinator.snapshot.update.records.per.snapshot', 'share.coordinator.state.topic.compression.codec',
  'share.coordinator.state.topic.min.isr', 'share.coordinator.state.topic.num.partitions', 'share.coordinator.state.topic.replication.factor',
  'share.coordinator.state.topic.segment.bytes', 'share.coordinator.threads', 'share.coordinator.write.timeout.ms',
  'share.fetch.purgatory.purge.interval.requests', 'socket.connection.setup.timeout.max.ms', 'socket.connection.setup.timeout.ms',
  'socket.listen.backlog.size', 'ssl.allow.dn.changes', 'ssl.allow.san.changes', 'ssl.cipher.suites', 'ssl.client.auth', 'ssl.enabled.protocols',
  'ssl.endpoint.identification.algorithm', 'ssl.engine.factory.class', 'ssl.key.password', 'ssl.keymanager.algorithm',
  'ssl.keystore.certificate.chain', 'ssl.keystore.key', 'ssl.keystore.location', 'ssl.keystore.password', 'ssl.keystore.type',
  'ssl.principal.mapping.rules', 'ssl.protocol', 'ssl.provider', 'ssl.secure.random.implementation', 'ssl.trustmanager.algorithm',
  'ssl.truststore.certificates', 'ssl.truststore.location', 'ssl.truststore.password', 'ssl.truststore.type', 'telemetry.max.bytes',
  'transaction.partition.verification.enable', 'transaction.remove.expired.transaction.cleanup.interval.ms',
  'transaction.state.log.load.buffer.size', 'transaction.two.phase.commit.enable',
];

const keyAlternation = (keys: readonly string[]) => keys.map((k) => k.replace(/\./g, '\\.')).join('|');

export const allow: AllowEntry[] = [
  {
    session: /^(adm-describe-broker|golden-.*)$/,
    where: new RegExp(`^(DescribeConfigs broker (v\\d|with synonyms)|DescribeConfigs-v\\d-\\d\\.bin): results\\[resourceName=1\\]\\.configs\\[name=(${keyAlternation(KAFKA_ONLY_BROKER_CONFIGS)})\\]$`),
    reason: 'not yet: broker configs of Kafka that Samsa does not implement (listed in KAFKA_ONLY_BROKER_CONFIGS); every broker config both know is compared.',
  },
  {
    session: /^(adm-describe-broker|golden-.*)$/,
    where: /^(DescribeConfigs broker (v\d|with synonyms)|DescribeConfigs-v\d-\d\.bin): results\[resourceName=1\]\.configs\[name=(cluster\.id|samsa\.log\.flush\.durable|samsa\.log\.level|samsa\.etcd\.endpoints|samsa\.etcd\.prefix|samsa\.controlled\.shutdown\.timeout\.ms)\]$/,
    reason: "Samsa's own broker configs (fsync before acknowledging, log level, etcd endpoints and key prefix for a cluster, the bound on a controlled shutdown's wait) and cluster.id, which Samsa takes from its configuration where Kafka reads it from meta.properties written by kafka-storage format.",
  },
  {
    session: /^(adm-describe-broker|golden-.*)$/,
    where: /^(DescribeConfigs broker (v\d|with synonyms)|DescribeConfigs-v\d-\d\.bin): results\[resourceName=1\]\.configs\[name=(advertised\.listeners|broker\.id|controller\.listener\.names|controller\.quorum\.voters|inter\.broker\.listener\.name|listener\.security\.protocol\.map|listeners|log\.dirs?|process\.roles)\]\.(value|configSource|synonyms\[\d\](\.(value|source))?)$/,
    reason: 'Set up differently by the harness: the Kafka launcher writes its KRaft listeners, quorum, log dir and roles into server.properties (STATIC_BROKER_CONFIG), Samsa runs with its defaults, a temporary log dir and port 0; log.dir defaults to a Samsa path.',
  },
  {
    session: /^(adm-describe-broker|golden-.*)$/,
    where: /^(DescribeConfigs broker (v\d|with synonyms)|DescribeConfigs-v\d-\d\.bin): results\[resourceName=1\]\.configs\[name=(listeners|listener\.security\.protocol\.map|num\.io\.threads|num\.network\.threads|num\.recovery\.threads\.per\.data\.dir)\]\.readOnly$/,
    reason: 'Kafka resizes its thread pools and adds listeners at run time; Samsa has one event loop and binds its listeners at start, so these are read-only (and accepted but without effect in server.properties).',
  },
  {
    session: /^(adm-describe-broker|golden-.*)$/,
    where: /^(DescribeConfigs broker with synonyms|DescribeConfigs-v\d-\d\.bin): results\[resourceName=1\]\.configs\[name=(listener\.security\.protocol\.map\]\.synonyms\[[01]\](\.(value|source))?|node\.id\]\.synonyms\[1\](\.(value|source))?)$/,
    reason: "Deliberate defaults: Samsa's listener.security.protocol.map maps its CONTROLLER listener and no SASL/SSL (which it does not implement), and node.id defaults to 1 so that Samsa starts without configuration (Kafka requires node.id).",
  },
  {
    session: /^(adm-describe-broker|golden-.*)$/,
    where: /^(DescribeConfigs broker (v\d|with synonyms)|DescribeConfigs-v\d-\d\.bin): results\[resourceName=1\]\.configs\[name=producer\.id\.expiration\.ms\]\.readOnly$/,
    reason: 'not yet: producer.id.expiration.ms is read at start only; Kafka changes it dynamically.',
  },
  {
    session: /^(adm-describe-broker|golden-.*)$/,
    where: /^(DescribeConfigs broker (v\d|with synonyms)|DescribeConfigs-v\d-\d\.bin): results\[resourceName=1\]\.configs\[name=log\.cleaner\.dedupe\.buffer\.size\]\.(value|synonyms\[0\](\.(value|source))?)$/,
    reason: 'Deliberate: Samsa allocates the offset map only while cleaning and defaults it to 32 MiB (Kafka: 128 MiB, allocated at start).',
  },
  {
    session: /^(adm-|golden-)/,
    where: /\.configs\[name=(log\.)?message\.timestamp\.after\.max\.ms\]\.(value|synonyms\[\d+\](\.(value|source))?)$/,
    reason: "Samsa keeps Kafka 3.9's default for (log.)message.timestamp.after.max.ms (Long.MAX_VALUE: future timestamps accepted); Kafka 4.0 lowered it to one hour. Changing it would start refusing produce requests that 3.x brokers accept.",
  },
  {
    session: /^(adm-|golden-)/,
    where: /(\.configs\[name=min\.insync\.replicas\]\.(configSource|synonyms\[\d+\](\.(value|source))?)|^DescribeConfigs broker default v\d: results\[resourceName=\]\.configs\[name=min\.insync\.replicas\]|^AlterConfigs broker default without min\.insync\.replicas, validateOnly v\d: responses\[resourceName=\]\.errorCode|^IncrementalAlterConfigs remove the cluster-level min\.insync\.replicas: responses\[resourceName=\]\.errorCode)$/,
    reason: 'Kafka 4.x formats a new KRaft cluster with a cluster-level dynamic min.insync.replicas (for eligible leader replicas, KIP-966) and refuses to remove it; Samsa has no ELR and no such bootstrap record, so the value comes from the default.',
  },
  {
    session: /^(adm-(create-versions|create-errors|describe-topic)|golden-.*)$/,
    where: /(: (topics\[name=[^\]]+\]|results\[resourceName=[^\]]+\])\.configs\[name=(message\.downconversion\.enable|message\.format\.version|message\.timestamp\.difference\.max\.ms|samsa\.flush\.durable)\]|^CreateTopics configs removed in Kafka 4 v\d: \[name=adm-create-errors-old-(format|downconversion)\]\.errorCode)$/,
    reason: "Samsa serves Kafka 3.9's topic configs, which keep the three that Kafka 4.0 removed with the old message formats (KIP-724), so 3.x tools that set them work; samsa.flush.durable is Samsa's own (fsync per topic).",
  },
  {
    session: 'adm-describe-topic',
    where: /^DescribeConfigs topic, documentation v\d: results\[resourceName=adm-describe-topic-overrides\]\.configs\[name=retention\.ms\]\.documentation$/,
    reason: 'not yet: Samsa has no documentation texts for its configs and answers null with includeDocumentation (v3+).',
  },
  {
    session: 'adm-alter',
    where: /^AlterConfigs duplicate resource v\d: <response>$/,
    reason: 'Apache Kafka 4.1 never answers an AlterConfigs request that names one resource twice (the request stays pending); Samsa answers INVALID_REQUEST for each occurrence, as IncrementalAlterConfigs does on both.',
  },
  {
    session: 'adm-incremental',
    where: /^IncrementalAlterConfigs unknown operation v\d: responses\[resourceName=adm-incremental-v\d\]\.errorCode$/,
    reason: 'Kafka fails on an unknown operation id with an unhandled exception (UNKNOWN_SERVER_ERROR); Samsa answers INVALID_REQUEST, which tells the client what is wrong.',
  },
  {
    session: /^(adm-describe-broker|golden-.*)$/,
    where: /^DescribeConfigs broker loggers: results\[resourceName=1\]\.configs\[name=[^\]]+\]$/,
    reason: "not yet: Samsa has no log4j loggers and describes none for BROKER_LOGGER; Kafka lists its loggers and their levels.",
  },
  {
    session: 'adm-incremental',
    where: /^IncrementalAlterConfigs broker logger: responses\[resourceName=1\]\.errorCode$/,
    reason: 'not yet: Samsa has no log4j loggers to set with BROKER_LOGGER resources and refuses them with INVALID_REQUEST; Kafka checks the logger name (INVALID_CONFIG for an unknown one).',
  },
];
