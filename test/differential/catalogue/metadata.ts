// ApiVersions and Metadata: every version, existing, unknown, auto-created and invalid topics,
// topics by id, with auto-creation on and off.
import { ApiVersions, Metadata, type MetadataRequest } from '../../../src/protocol/generated/index.js';
import { encodeRequest, type AllowEntry, type Session, type SessionPeer } from '../harness.js';
import { createTopic, own, topicId, waitForTopic } from './util.js';

const NO_ID = 'AAAAAAAAAAAAAAAAAAAAAA';

function mdRequest(names: (string | null)[] | null, allowAutoTopicCreation = true, ids: string[] = []): MetadataRequest {
  return {
    topics: names === null ? null : [...names.map((name) => ({ topicId: NO_ID, name })), ...ids.map((topicId) => ({ topicId, name: null }))],
    allowAutoTopicCreation,
    includeClusterAuthorizedOperations: false,
    includeTopicAuthorizedOperations: false,
  };
}

/** Metadata at every version both serve, for the given topic names (null names need v10+). */
async function everyVersion(peer: SessionPeer, label: string, names: string[], allowAuto: boolean, minVersion = 0): Promise<void> {
  for (const v of peer.versions(Metadata)) {
    if (v < minVersion) continue;
    await peer.call(Metadata, v, mdRequest(names, allowAuto || v < 4), { label: `${label} v${v}` });
  }
}

export const sessions: Session[] = [
  {
    name: 'api-versions',
    async run(peer) {
      for (const v of peer.versions(ApiVersions)) {
        await peer.call(ApiVersions, v, { clientSoftwareName: 'differential', clientSoftwareVersion: '1.0' });
      }
      // KIP-511: a version the broker does not know gets v0 with UNSUPPORTED_VERSION.
      const f = encodeRequest(ApiVersions, 3, 7, { clientSoftwareName: 'differential', clientSoftwareVersion: '1.0' });
      f.writeInt16BE(99, 6);
      await peer.raw(ApiVersions, 0, f, { label: 'ApiVersions v99' });
      // Client software names Kafka refuses (KIP-511 requires [a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?).
      await peer.call(ApiVersions, 3, { clientSoftwareName: 'bad name!', clientSoftwareVersion: '1.0' }, { label: 'ApiVersions v3 invalid software name' });
    },
  },
  {
    name: 'md-existing',
    async run(peer) {
      await createTopic(peer, 'md-existing-a', 3);
      await createTopic(peer, 'md-existing-b', 1, { 'cleanup.policy': 'compact' });
      await everyVersion(peer, 'Metadata two topics', ['md-existing-a', 'md-existing-b'], false);
      // All topics: only this session's are compared (others come and go with other sessions).
      for (const v of peer.versions(Metadata)) {
        await peer.call(Metadata, v, mdRequest(v === 0 ? [] : null, v < 4), { label: `Metadata all topics v${v}`, view: (res) => ({ ...res, topics: own(res.topics, 'md-existing-') }) });
      }
      // v1+: an empty list asks for no topics (v0: for all).
      for (const v of peer.versions(Metadata)) if (v >= 1) await peer.call(Metadata, v, mdRequest([], v < 4), { label: `Metadata no topics v${v}` });
      await peer.call(Metadata, 12, mdRequest(['md-existing-a', 'md-existing-a'], false), { label: 'Metadata duplicate names v12' });
      await peer.call(Metadata, 8, { ...mdRequest(['md-existing-a'], false), includeClusterAuthorizedOperations: true, includeTopicAuthorizedOperations: true }, { label: 'Metadata authorized operations v8' });
    },
  },
  {
    name: 'md-by-id',
    async run(peer) {
      await createTopic(peer, 'md-by-id', 2);
      const id = await topicId(peer, 'md-by-id');
      for (const v of peer.versions(Metadata)) {
        if (v < 10) continue;
        // v10-11 carry topic ids but Kafka serves lookups by id only from v12.
        await peer.attempt(Metadata, v, mdRequest([], false, [id]), { label: `Metadata by id v${v}` });
        await peer.attempt(Metadata, v, mdRequest([], false, ['AAAAAAAAAAAAAAAAAAAAAQ']), { label: `Metadata unknown id v${v}` });
        await peer.attempt(Metadata, v, { ...mdRequest(['md-by-id'], false), topics: [{ topicId: id, name: 'md-by-id' }] }, { label: `Metadata name and id v${v}` });
      }
    },
  },
  {
    name: 'md-auto-create',
    async run(peer) {
      // The first answer for a topic this request creates, then the answer once it exists.
      for (const v of peer.versions(Metadata)) {
        const name = `md-auto-create-v${v}`;
        await peer.call(Metadata, v, mdRequest([name], true), { label: `Metadata creates v${v}` });
        await waitForTopic(peer, name);
        await peer.call(Metadata, v, mdRequest([name], true), { label: `Metadata after creation v${v}` });
      }
      // v4+: allowAutoTopicCreation=false leaves an unknown topic unknown.
      await everyVersion(peer, 'Metadata unknown, no auto-create', ['md-auto-create-none'], false, 4);
    },
  },
  {
    name: 'md-invalid-names',
    async run(peer) {
      const bad = ['bad name!', '.', '..', 'a'.repeat(250), 'ünïcode', 'has/slash'];
      for (const v of [1, 4, 9, 12]) {
        if (!peer.versions(Metadata).includes(v)) continue;
        await peer.call(Metadata, v, mdRequest(bad, true), { label: `Metadata invalid names, auto-create v${v}` });
        if (v >= 4) await peer.call(Metadata, v, mdRequest(bad, false), { label: `Metadata invalid names, no auto-create v${v}` });
      }
    },
  },
  {
    name: 'md-no-auto-create',
    brokers: 'no-auto-create',
    async run(peer) {
      await everyVersion(peer, 'Metadata unknown topic', ['md-no-auto-create-x'], true);
      await createTopic(peer, 'md-no-auto-create-made', 2);
      await everyVersion(peer, 'Metadata created topic', ['md-no-auto-create-made'], true);
    },
  },
];

export const allow: AllowEntry[] = [
  {
    session: /./,
    where: /^ApiVersions(-| )v[34]\S*: ((supportedFeatures|finalizedFeatures)\[name=[a-z.]+\]|finalizedFeaturesEpoch)$/,
    reason: 'Samsa advertises no feature levels: it implements none of what they gate (metadata.version/kraft.version are KRaft-internal, group.version is the KIP-848 consumer protocol, transaction.version 2 is KIP-890 part 2, eligible.leader.replicas and share groups), so clients use the classic protocols, as with a Kafka 3.x ZooKeeper broker.',
  },
  {
    session: /./,
    where: /^ApiVersions(-| )v\d+\S*: apiKeys\[apiKey=\d+\](\.maxVersion|\.minVersion)?$/,
    reason: 'Samsa serves the APIs and version ranges generated from Kafka 3.9 schemas: it keeps versions Kafka 4 removed (KIP-896) so old clients work, lacks versions newer than 3.9 and the KRaft/share-group APIs it does not implement.',
  },
];
