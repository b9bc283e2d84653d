/**
 * The cluster under test: one etcd on 127.0.2.1 and brokers 1..n, broker N on 127.0.1.N (its
 * listener, and through bind-source.ts the source of every connection it opens), each a
 * `samsa start` process on its own data folder under the run's folder, on a port it keeps across
 * restarts. Faults: SIGKILL/SIGTERM + restart, SIGSTOP/SIGCONT, and network cuts (firewall.ts).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BrokerProcess } from '../../bench/lib/broker-process.js';
import { startEtcd, type EtcdProcess } from '../../bench/lib/etcd-process.js';
import { freePort } from '../apache-kafka/kafka.js';
import { Connection } from '../../src/client/connection.js';
import { ListOffsets, Metadata, type MetadataResponse } from '../../src/protocol/generated/index.js';

export const ETCD_HOST = '127.0.2.1';
export const brokerHost = (nodeId: number) => `127.0.1.${nodeId}`;
const BIND_SOURCE = fileURLToPath(new URL('./bind-source.js', import.meta.url));

export interface PartitionState {
  partition: number;
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
}

interface Node {
  nodeId: number;
  port: number;
  dir: string;
  process?: BrokerProcess;
  paused: boolean;
}

export class FaultCluster {
  private readonly nodes: Node[] = [];
  private constructor(
    readonly dir: string,
    private readonly etcd: EtcdProcess,
    private readonly config: Record<string, string | number | boolean>,
  ) {}

  static async start(dir: string, brokers: number, config: Record<string, string | number | boolean>): Promise<FaultCluster> {
    const etcd = await startEtcd(ETCD_HOST);
    const cluster = new FaultCluster(dir, etcd, config);
    try {
      for (let nodeId = 1; nodeId <= brokers; nodeId++) {
        const node: Node = { nodeId, port: await freePort(brokerHost(nodeId)), dir: join(dir, `broker-${nodeId}`), paused: false };
        mkdirSync(node.dir, { recursive: true });
        cluster.nodes.push(node);
        await cluster.startBroker(nodeId);
      }
    } catch (e) {
      await cluster.stop();
      throw e;
    }
    return cluster;
  }

  get ids(): number[] {
    return this.nodes.map((n) => n.nodeId);
  }

  bootstrap(): string {
    return this.nodes.map((n) => `${brokerHost(n.nodeId)}:${n.port}`).join(',');
  }

  dataDir(nodeId: number): string {
    return this.node(nodeId).dir;
  }

  isRunning(nodeId: number): boolean {
    const n = this.node(nodeId);
    return n.process !== undefined && n.process.alive && !n.paused;
  }

  /** Starts broker `nodeId` (again, on its data folder and port) if it is not running. */
  async startBroker(nodeId: number): Promise<void> {
    const n = this.node(nodeId);
    if (n.process?.alive) return;
    const host = brokerHost(nodeId);
    n.process = await BrokerProcess.start({
      logDir: n.dir,
      nodeArgs: ['--import', BIND_SOURCE],
      env: { SAMSA_FAULT_SOURCE: host },
      startTimeoutMs: 30_000,
      stderrFile: join(this.dir, `broker-${nodeId}.log`),
      overrides: { 'node.id': nodeId, listeners: `PLAINTEXT://${host}:${n.port}`, 'samsa.etcd.endpoints': this.etcd.endpoint, ...this.config },
    });
    n.paused = false;
  }

  /** Sends `signal` to broker `nodeId`; SIGKILL/SIGTERM wait for the exit. */
  async signal(nodeId: number, signal: 'SIGKILL' | 'SIGTERM' | 'SIGSTOP' | 'SIGCONT'): Promise<void> {
    const n = this.node(nodeId);
    if (!n.process?.alive) return;
    if (signal === 'SIGTERM' && n.paused) n.process.signal('SIGCONT');
    n.process.signal(signal);
    if (signal === 'SIGSTOP') n.paused = true;
    if (signal === 'SIGCONT') n.paused = false;
    if (signal === 'SIGKILL' || signal === 'SIGTERM') {
      const timer = setTimeout(() => n.process?.signal('SIGKILL'), 30_000);
      await n.process.whenExited();
      clearTimeout(timer);
      n.paused = false;
    }
  }

  etcdAddress(): string {
    return ETCD_HOST;
  }

  /** Metadata (v12) as broker `nodeId` itself answers it; undefined when it does not within `timeoutMs`. */
  async metadata(nodeId: number, topics: string[], timeoutMs = 2000): Promise<MetadataResponse | undefined> {
    if (!this.isRunning(nodeId)) return undefined;
    let conn: Connection | undefined;
    try {
      conn = await Connection.connect({ host: brokerHost(nodeId), port: this.node(nodeId).port, connectTimeoutMs: timeoutMs });
      return await conn.request(Metadata, { topics: topics.map((name) => ({ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name })), allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false }, { version: 12, timeoutMs });
    } catch {
      return undefined;
    } finally {
      conn?.close();
    }
  }

  /** The partitions of `topic` as the first running broker that answers sees them. */
  async partitions(topic: string): Promise<{ controller: number; partitions: PartitionState[] } | undefined> {
    for (const id of this.ids) {
      const md = await this.metadata(id, [topic]);
      const t = md?.topics[0];
      if (!md || !t || t.errorCode !== 0) continue;
      return {
        controller: md.controllerId,
        partitions: t.partitions.map((p) => ({ partition: p.partitionIndex, leader: p.leaderId, leaderEpoch: p.leaderEpoch, replicas: p.replicaNodes, isr: p.isrNodes })).sort((a, b) => a.partition - b.partition),
      };
    }
    return undefined;
  }

  /** The partition's end offset (-1: latest) as its leader `leader` answers ListOffsets with `isolationLevel` (0: high watermark, 1: last stable offset). */
  async endOffset(leader: number, topic: string, partition: number, isolationLevel: 0 | 1): Promise<number | undefined> {
    if (!this.isRunning(leader)) return undefined;
    let conn: Connection | undefined;
    try {
      conn = await Connection.connect({ host: brokerHost(leader), port: this.node(leader).port, connectTimeoutMs: 2000 });
      const res = await conn.request(ListOffsets, { replicaId: -1, isolationLevel, topics: [{ name: topic, partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }] }] }, { version: 7, timeoutMs: 2000 });
      const p = res.topics[0]?.partitions[0];
      return p && p.errorCode === 0 ? Number(p.offset) : undefined;
    } catch {
      return undefined;
    } finally {
      conn?.close();
    }
  }

  /** The last lines each broker wrote on stderr. */
  logs(): Record<number, string[]> {
    return Object.fromEntries(this.nodes.map((n) => [n.nodeId, n.process?.stderr() ?? []]));
  }

  /** Stops every broker (resumed, then SIGKILL: nothing to keep clean) and etcd; data folders stay (the run's folder owns them). */
  async stop(): Promise<void> {
    for (const n of this.nodes) {
      if (!n.process?.alive) continue;
      n.process.signal('SIGCONT');
      n.process.signal('SIGKILL');
      await n.process.whenExited();
    }
    await this.etcd.stop();
  }

  private node(nodeId: number): Node {
    const n = this.nodes.find((x) => x.nodeId === nodeId);
    if (!n) throw new Error(`no broker ${nodeId}`);
    return n;
  }
}
