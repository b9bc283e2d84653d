/**
 * The cluster's metadata on a single node: cluster id, topics (id, partition count, configs).
 * Kept in `samsa-metadata.json` in the first log dir, written atomically (temp file, fsync,
 * rename); every log dir gets Kafka's `meta.properties` naming the cluster and node.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';

export interface TopicMetadata {
  name: string;
  /** Kafka's topic id, 22 characters of URL-safe base64. */
  topicId: string;
  partitions: number;
  /** Topic-level overrides of broker defaults, as set by CreateTopics/AlterConfigs. */
  configs: Record<string, string>;
  internal: boolean;
}

interface MetadataFile {
  version: 1;
  clusterId: string;
  topics: TopicMetadata[];
  /** Dynamic broker configs: this node's and the cluster default (absent in older files). */
  brokerConfigs?: DynamicBrokerConfigs;
}

export interface DynamicBrokerConfigs {
  node: Record<string, string>;
  clusterDefault: Record<string, string>;
}

const METADATA_FILE = 'samsa-metadata.json';
const META_PROPERTIES = 'meta.properties';
export const INTERNAL_TOPICS = new Set(['__consumer_offsets', '__transaction_state']);

/** A random id in Kafka's Uuid text form (never the reserved zero or one ids). */
export function randomUuid(): string {
  for (;;) {
    const b = randomBytes(16);
    const text = b.toString('base64url');
    if (!b.equals(Buffer.alloc(16)) && !b.equals(Buffer.from([...Array(15).fill(0), 1])) && !text.startsWith('-')) return text;
  }
}

/** Kafka's topic name rules (Topic.validate). Returns a reason, or undefined when valid. */
export function invalidTopicName(name: string): string | undefined {
  if (name.length === 0) return 'Topic name is illegal, it can\'t be empty';
  if (name === '.' || name === '..') return 'Topic name cannot be "." or ".."';
  if (name.length > 249) return `Topic name is illegal, it can't be longer than 249 characters, topic name: ${name}`;
  if (!/^[a-zA-Z0-9._-]+$/.test(name)) return `Topic name ${name} is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`;
  return undefined;
}

async function writeAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp`;
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
}

export class MetadataStore {
  readonly topics = new Map<string, TopicMetadata>();
  private readonly byId = new Map<string, TopicMetadata>();
  private saving: Promise<void> = Promise.resolve();
  brokerConfigs: DynamicBrokerConfigs = { node: {}, clusterDefault: {} };

  private constructor(
    readonly logDirs: string[],
    readonly nodeId: number,
    public clusterId: string,
  ) {}

  /** Loads the metadata, creating it (and a new cluster id) on first start. */
  static async load(logDirs: string[], nodeId: number, configuredClusterId: string | null): Promise<MetadataStore> {
    for (const dir of logDirs) await mkdir(dir, { recursive: true });
    let file: MetadataFile | undefined;
    try {
      file = JSON.parse(await readFile(join(logDirs[0]!, METADATA_FILE), 'utf8')) as MetadataFile;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`cannot read ${join(logDirs[0]!, METADATA_FILE)}: ${(e as Error).message}`);
    }
    const existingId = file?.clusterId ?? (await readClusterId(logDirs));
    if (configuredClusterId && existingId && configuredClusterId !== existingId) {
      throw new Error(`cluster.id ${configuredClusterId} does not match ${existingId} stored in the log dirs`);
    }
    const store = new MetadataStore(logDirs, nodeId, existingId ?? configuredClusterId ?? randomUuid());
    for (const t of file?.topics ?? []) store.put(t);
    if (file?.brokerConfigs) store.brokerConfigs = { node: { ...file.brokerConfigs.node }, clusterDefault: { ...file.brokerConfigs.clusterDefault } };
    for (const dir of logDirs) {
      await writeAtomic(join(dir, META_PROPERTIES), `#\n#Written by Samsa\nversion=1\nnode.id=${nodeId}\ncluster.id=${store.clusterId}\n`);
    }
    if (!file) await store.save();
    return store;
  }

  private put(t: TopicMetadata): void {
    this.topics.set(t.name, t);
    this.byId.set(t.topicId, t);
  }

  topic(name: string): TopicMetadata | undefined {
    return this.topics.get(name);
  }

  topicById(id: string): TopicMetadata | undefined {
    return this.byId.get(id);
  }

  async createTopic(name: string, partitions: number, configs: Record<string, string>): Promise<TopicMetadata> {
    if (this.topics.has(name)) throw new Error(`topic ${name} exists`);
    const t: TopicMetadata = { name, topicId: randomUuid(), partitions, configs, internal: INTERNAL_TOPICS.has(name) };
    this.put(t);
    await this.save();
    return t;
  }

  async deleteTopic(name: string): Promise<void> {
    const t = this.topics.get(name);
    if (!t) return;
    this.topics.delete(name);
    this.byId.delete(t.topicId);
    await this.save();
  }

  async setPartitions(name: string, partitions: number): Promise<void> {
    this.topics.get(name)!.partitions = partitions;
    await this.save();
  }

  async setConfigs(name: string, configs: Record<string, string>): Promise<void> {
    this.topics.get(name)!.configs = configs;
    await this.save();
  }

  async setBrokerConfigs(node: Record<string, string>, clusterDefault: Record<string, string>): Promise<void> {
    this.brokerConfigs = { node: { ...node }, clusterDefault: { ...clusterDefault } };
    await this.save();
  }

  /** Saves are serialized; each writes the state as it is when it runs. */
  save(): Promise<void> {
    const run = this.saving.then(() => {
      const file: MetadataFile = { version: 1, clusterId: this.clusterId, topics: [...this.topics.values()], brokerConfigs: this.brokerConfigs };
      return writeAtomic(join(this.logDirs[0]!, METADATA_FILE), `${JSON.stringify(file, null, 1)}\n`);
    });
    this.saving = run.catch(() => undefined);
    return run;
  }
}

async function readClusterId(logDirs: string[]): Promise<string | undefined> {
  for (const dir of logDirs) {
    try {
      const m = /^cluster\.id=(.+)$/m.exec(await readFile(join(dir, META_PROPERTIES), 'utf8'));
      if (m) return m[1]!.trim();
    } catch {
      // not there yet
    }
  }
  return undefined;
}
