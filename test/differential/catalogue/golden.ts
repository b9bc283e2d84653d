// Raw request frames captured from real clients (test/fixtures/golden: KafkaJS, kcat,
// confluent-kafka, kafka-python) replayed byte for byte against both brokers, each on a fresh
// connection after the topics they name exist; and the API versions Samsa serves that Apache
// Kafka 4 removed (KIP-896), which Kafka answers by closing the connection.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { apiByKey, DeleteTopics, InitProducerId, ListGroups, Metadata, Produce, RequestHeaderCodec } from '../../../src/protocol/generated/index.js';
import { decodeRequestBody, Reader, requestHeaderVersion, type ApiDescriptor } from '../../../src/protocol/runtime/index.js';
import { encodeRequest, type AllowEntry, type Session, type SessionPeer } from '../harness.js';
import { createTopic, waitForCoordinator } from './util.js';

const GOLDEN = fileURLToPath(new URL('../../../../test/fixtures/golden/', import.meta.url));

interface Frame {
  file: string;
  api: ApiDescriptor<any, any>;
  version: number;
  bytes: Buffer;
  body: any;
}

function load(client: string): Frame[] {
  return readdirSync(join(GOLDEN, client))
    .filter((f) => f.endsWith('.bin'))
    .sort()
    .map((file) => {
      const raw = readFileSync(join(GOLDEN, client, file));
      const api = apiByKey(raw.readInt16BE(0))!;
      const version = raw.readInt16BE(2);
      const r = new Reader(raw);
      RequestHeaderCodec.read(r, requestHeaderVersion(api, version));
      const body = decodeRequestBody(api.request, raw, version, r.offset).value;
      const bytes = Buffer.alloc(4 + raw.length);
      bytes.writeInt32BE(raw.length, 0);
      raw.copy(bytes, 4);
      return { file, api, version, bytes, body };
    });
}

/** Topic names a request refers to (in any list of topics), so that they can exist first. */
function topicNames(v: unknown, parentKey = '', out = new Set<string>()): Set<string> {
  if (Array.isArray(v)) for (const x of v) topicNames(x, parentKey, out);
  else if (v && typeof v === 'object' && !Buffer.isBuffer(v)) {
    for (const [k, x] of Object.entries(v)) {
      if (/^(name|topic|topicName)$/.test(k) && typeof x === 'string' && /topic/i.test(parentKey)) out.add(x);
      else topicNames(x, k, out);
    }
  }
  return out;
}

/** Group ids and transactional ids a request names, so that their coordinators are loaded first. */
function coordinatorKeys(v: unknown, out = { groups: new Set<string>(), txns: new Set<string>() }) {
  if (Array.isArray(v)) for (const x of v) coordinatorKeys(x, out);
  else if (v && typeof v === 'object' && !Buffer.isBuffer(v)) {
    for (const [k, x] of Object.entries(v)) {
      if (k === 'groupId' && typeof x === 'string' && x) out.groups.add(x);
      else if (k === 'transactionalId' && typeof x === 'string' && x) out.txns.add(x);
      else coordinatorKeys(x, out);
    }
  }
  return out;
}

const NOT_CREATED = /^(__|$)|[^a-zA-Z0-9._-]/;

function goldenSession(client: string): Session {
  return {
    name: `golden-${client}`,
    async run(peer: SessionPeer) {
      const frames = load(client);
      const topics = new Set<string>();
      for (const f of frames) {
        // CreateTopics/DeleteTopics frames name topics they create or delete themselves.
        if (f.api.name === 'CreateTopics' || f.api.name === 'DeleteTopics') continue;
        for (const t of topicNames(f.body)) if (!NOT_CREATED.test(t)) topics.add(t);
      }
      for (const t of [...topics].sort()) await createTopic(peer, t, 3);
      // Apache Kafka creates and loads the internal topics on first use; wait that out.
      const keys = coordinatorKeys(frames.map((f) => f.body));
      for (const g of [...keys.groups].sort()) await waitForCoordinator(peer, g, 0);
      for (const t of [...keys.txns].sort()) await waitForCoordinator(peer, t, 1);
      // Kafka hands out producer ids once its coordinator has loaded and got an id block.
      const retriable = (res: { errorCode: number }) => [14, 15, 16].includes(res.errorCode);
      if (frames.some((f) => f.api.apiKey === InitProducerId.apiKey)) {
        for (const transactionalId of [null, ...[...keys.txns].sort()]) {
          await peer.quiet(InitProducerId, 1, { transactionalId, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 }, retriable, 60_000);
        }
      }
      for (const f of frames) {
        const noResponse = f.api.apiKey === Produce.apiKey && f.body.acks === 0;
        // All-topics and all-groups answers list other sessions' too: only this client's (and internal topics) count.
        const view =
          f.api.apiKey === Metadata.apiKey
            ? (res: any) => ({ ...res, topics: res.topics.filter((t: any) => /^(golden|__)/.test(t.name ?? '')) })
            : f.api.apiKey === ListGroups.apiKey
              ? (res: any) => ({ ...res, groups: res.groups.filter((g: any) => g.groupId.startsWith('golden')) })
              : undefined;
        await peer.raw(f.api, f.version, f.bytes, { label: `${f.file}`, noResponse, timeoutMs: 15_000, view });
        if (f.api.apiKey === DeleteTopics.apiKey) {
          // Kafka deletes asynchronously: wait until the topics are gone before the next frame.
          for (const t of [...f.body.topicNames, ...f.body.topics.map((x: any) => x.name)].filter((x) => x)) {
            await peer.quiet(Metadata, 9, { topics: [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name: t }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false }, (res) => res.topics[0]!.errorCode === 0);
          }
        }
      }
    },
  };
}

/** Every version Samsa serves below Kafka's lowest, sent with default fields on a fresh connection. */
const removedVersions: Session = {
  name: 'golden-kip896-removed-versions',
  async run(peer) {
    for (let key = 0; key < 100; key++) {
      const api = apiByKey(key);
      if (!api) continue;
      const samsa = peer.range(api, 'samsa');
      const kafka = peer.range(api, 'kafka');
      if (!samsa || !kafka) continue;
      for (let v = samsa[0]; v < Math.min(kafka[0], samsa[1] + 1); v++) {
        const body = { ...api.request.defaults(), ...(api.apiKey === Produce.apiKey ? { acks: 1 } : {}) };
        await peer.raw(api, v, encodeRequest(api, v, 1, body), { label: `removed ${api.name} v${v}` });
      }
    }
  },
};

export const sessions: Session[] = [...['kafkajs', 'kcat', 'confluent-kafka', 'kafka-python'].map(goldenSession), removedVersions];

export const allow: AllowEntry[] = [
  {
    session: 'golden-kafka-python',
    where: /^(Produce-v[37]-\d\.bin: responses\[name=golden-kp\]\.partitionResponses\[index=\d\]\.baseOffset)$/,
    reason: 'kafka-python 2.0.2 sent its first Produce requests at v0-v2 with magic 0/1 message sets, which Kafka 4 refuses (KIP-724, connection closed) and Samsa appends (allowlisted below), so its later batches land at higher offsets on Samsa.',
  },
  {
    session: /^golden-/,
    where: /^(removed \w+ v\d+|[A-Za-z]+-v\d+-\d+\.bin): <response>$/,
    kafka: 'closed',
    reason: 'KIP-896: Apache Kafka 4 no longer serves these old request versions and closes the connection; Samsa keeps serving them so that older clients (kafka-python 2.0, old librdkafka and Java clients) keep working. The responses Samsa gives at these versions are covered by the e2e and interop tests.',
  },
];
