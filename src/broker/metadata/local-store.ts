/**
 * The single-node metadata store: the image kept in `samsa-metadata.json` in the first log dir,
 * written atomically (temp file, fsync, rename); every log dir gets Kafka's `meta.properties`
 * naming the cluster and node. A proposal is committed when the file is written, then applied.
 * The file records what a single node needs (topics with ids, partition counts and configs;
 * dynamic broker configs): every partition's only replica, leader and ISR is this node, and the
 * broker registration is made anew at each start, with the ports bound then.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode, KafkaError } from '../errors.js';
import { applyChange, type MetadataChange } from './changes.js';
import { ensureMetaProperties, storedClusterId } from './meta-properties.js';
import { MetadataImage, newPartition, type DynamicBrokerConfigs, type TopicImage } from './image.js';
import { randomUuid } from './names.js';
import { MetadataLoader, type MetadataPublisher, type MetadataStore } from './store.js';
import { NodeFileSystem, writeFileAtomic } from '../../storage/index.js';
import { SerialQueue } from '../../util/serial.js';

/** Version 1, as every Samsa so far has written it. */
interface MetadataFile {
  version: 1;
  clusterId: string;
  topics: { name: string; topicId: string; partitions: number; configs: Record<string, string>; internal: boolean }[];
  /** Absent in older files. */
  brokerConfigs?: DynamicBrokerConfigs;
}

const METADATA_FILE = 'samsa-metadata.json';

export class LocalMetadataStore implements MetadataStore {
  private readonly loader: MetadataLoader;
  /** Proposals run one at a time: each is checked against, and written after, the one before. */
  private readonly queue = new SerialQueue();

  private constructor(
    private readonly logDirs: readonly string[],
    private readonly nodeId: number,
    initial: MetadataImage,
  ) {
    this.loader = new MetadataLoader(initial);
  }

  /** Loads the metadata, creating it (and a new cluster id) on first start. */
  static async load(logDirs: readonly string[], nodeId: number, configuredClusterId: string | null): Promise<LocalMetadataStore> {
    for (const dir of logDirs) await mkdir(dir, { recursive: true });
    const path = join(logDirs[0]!, METADATA_FILE);
    let file: MetadataFile | undefined;
    try {
      file = JSON.parse(await readFile(path, 'utf8')) as MetadataFile;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`cannot read ${path}: ${(e as Error).message}`);
    }
    if (file && file.version !== 1) throw new Error(`cannot read ${path}: unknown version ${String(file.version)}`);
    const existingId = file?.clusterId ?? (await storedClusterId(logDirs));
    if (configuredClusterId && existingId && configuredClusterId !== existingId) {
      throw new Error(`cluster.id ${configuredClusterId} does not match ${existingId} stored in the log dirs`);
    }
    const image = new MetadataImage({
      clusterId: existingId ?? configuredClusterId ?? randomUuid(),
      controllerId: nodeId,
      topics: (file?.topics ?? []).map((t) => topicFromFile(t, nodeId)),
      brokerConfigs: file?.brokerConfigs && { node: { ...file.brokerConfigs.node }, clusterDefault: { ...file.brokerConfigs.clusterDefault } },
    });
    const store = new LocalMetadataStore(logDirs, nodeId, image);
    await ensureMetaProperties(logDirs, nodeId, image.clusterId);
    if (!file) await store.write(image);
    return store;
  }

  get image(): MetadataImage {
    return this.loader.image;
  }

  subscribe(publisher: MetadataPublisher): void {
    this.loader.subscribe(publisher);
  }

  propose(change: MetadataChange): Promise<MetadataImage> {
    return this.queue.run(async () => {
      const next = applyChange(this.image, change);
      this.checkSingleNode(change);
      // A broker registration lives as long as the process: nothing of it is in the file.
      if (change.type !== 'registerBroker') await this.write(next);
      return this.loader.apply([change]);
    });
  }

  /** The file can only say "this node" for replicas: refuse what it could not record. */
  private checkSingleNode(change: MetadataChange): void {
    const partitions = change.type === 'createTopic' ? change.topic.partitions : change.type === 'addPartitions' ? change.partitions : [];
    if (partitions.some((p) => p.replicas.length !== 1 || p.replicas[0] !== this.nodeId)) {
      throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `A single-node metadata store places every partition on node ${this.nodeId}.`);
    }
  }

  private write(image: MetadataImage): Promise<void> {
    const file: MetadataFile = {
      version: 1,
      clusterId: image.clusterId,
      topics: [...image.topics.values()].map((t) => ({ name: t.name, topicId: t.topicId, partitions: t.partitions.length, configs: { ...t.configs }, internal: t.internal })),
      brokerConfigs: { node: { ...image.brokerConfigs.node }, clusterDefault: { ...image.brokerConfigs.clusterDefault } },
    };
    return writeFileAtomic(new NodeFileSystem(), join(this.logDirs[0]!, METADATA_FILE), Buffer.from(`${JSON.stringify(file, null, 1)}\n`));
  }
}

function topicFromFile(t: MetadataFile['topics'][number], nodeId: number): TopicImage {
  return {
    name: t.name,
    topicId: t.topicId,
    internal: t.internal,
    configs: { ...t.configs },
    partitions: Array.from({ length: t.partitions }, () => newPartition([nodeId])),
  };
}

