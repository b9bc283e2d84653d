/**
 * Kafka's `meta.properties` in every log dir: the cluster and node its data belongs to. A broker
 * refuses to start on a log dir of another cluster or another node (Kafka's
 * InconsistentClusterIdException and "Stored node id doesn't match"): a data folder pointed at the
 * wrong broker would otherwise be served as this node's replicas, and its stale logs could win a
 * leader election.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NodeFileSystem, writeFileAtomic } from '../../storage/index.js';

export const META_PROPERTIES = 'meta.properties';

export interface MetaProperties {
  readonly clusterId?: string;
  readonly nodeId?: number;
}

/** The properties of `dir`'s meta.properties; undefined when there is none. */
export async function readMetaProperties(dir: string): Promise<MetaProperties | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, META_PROPERTIES), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`cannot read ${join(dir, META_PROPERTIES)}: ${(e as Error).message}`);
  }
  const props = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^\s*([^#=\s][^=]*?)\s*=\s*(.*?)\s*$/.exec(line);
    if (m) props.set(m[1]!, m[2]!);
  }
  const nodeId = props.get('node.id');
  return { clusterId: props.get('cluster.id') || undefined, nodeId: nodeId === undefined || nodeId === '' ? undefined : Number(nodeId) };
}

/** The cluster id stored in the first of `logDirs` that has one. */
export async function storedClusterId(logDirs: readonly string[]): Promise<string | undefined> {
  for (const dir of logDirs) {
    const id = (await readMetaProperties(dir))?.clusterId;
    if (id) return id;
  }
  return undefined;
}

/** Throws when a log dir belongs to another cluster or node; then writes meta.properties where it is missing or differs. */
export async function ensureMetaProperties(logDirs: readonly string[], nodeId: number, clusterId: string): Promise<void> {
  for (const dir of logDirs) await mkdir(dir, { recursive: true });
  const stored = await Promise.all(logDirs.map(async (dir) => ({ dir, props: await readMetaProperties(dir) })));
  for (const { dir, props } of stored) {
    if (props?.clusterId !== undefined && props.clusterId !== clusterId) {
      throw new Error(`The cluster id ${clusterId} does not match the cluster id ${props.clusterId} stored in ${join(dir, META_PROPERTIES)}: this log dir belongs to another cluster`);
    }
    if (props?.nodeId !== undefined && props.nodeId !== nodeId) {
      throw new Error(`Stored node id ${props.nodeId} in ${join(dir, META_PROPERTIES)} doesn't match node.id ${nodeId}: this log dir belongs to another broker`);
    }
  }
  const fs = new NodeFileSystem();
  for (const { dir, props } of stored) {
    if (props?.clusterId === clusterId && props.nodeId === nodeId) continue;
    await writeFileAtomic(fs, join(dir, META_PROPERTIES), Buffer.from(`#\n#Written by Samsa\nversion=1\nnode.id=${nodeId}\ncluster.id=${clusterId}\n`));
  }
}
