/**
 * Embedding: `await startBroker({ port: 0 })` runs a broker in this process, the way Node users
 * test their Kafka code without Docker. With no log dir, data goes to a temporary folder that
 * close() removes.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Broker } from './broker/broker.js';
import { BrokerConfig } from './broker/config.js';
import type { Logger } from './util/logger.js';

export interface StartBrokerOptions {
  /** Port of the PLAINTEXT listener; 0 (the default) picks a free one. */
  port?: number;
  /** Interface to bind; default 127.0.0.1. */
  host?: string;
  /** Data folder(s); default a temporary folder removed on close. */
  logDirs?: string | string[];
  /** Any server.properties keys, e.g. `{ 'num.partitions': 3 }`. */
  config?: Record<string, string | number | boolean>;
  logger?: Logger;
  /** Sees every request frame as received (used to capture golden bytes). */
  onRequestFrame?: (apiKey: number, apiVersion: number, frame: Buffer) => void;
}

export interface RunningBroker {
  /** `host:port` for clients' bootstrap servers. */
  readonly bootstrap: string;
  readonly port: number;
  readonly logDirs: string[];
  readonly broker: Broker;
  /** Graceful shutdown; removes the temporary data folder if one was made. */
  close(): Promise<void>;
}

export async function startBroker(options: StartBrokerOptions = {}): Promise<RunningBroker> {
  const host = options.host ?? '127.0.0.1';
  const temporary = options.logDirs === undefined ? await mkdtemp(join(tmpdir(), 'samsa-')) : undefined;
  const logDirs = temporary ? [temporary] : Array.isArray(options.logDirs) ? options.logDirs : [options.logDirs!];
  const overrides: Record<string, string | number | boolean> = {
    listeners: `PLAINTEXT://${host}:${options.port ?? 0}`,
    'log.dirs': logDirs.join(','),
    // One node: internal topics cannot have more replicas than that. A cluster member (on etcd)
    // keeps Kafka's defaults, capped at the registered brokers when the topics are created.
    ...(options.config?.['samsa.etcd.endpoints'] === undefined ? { 'offsets.topic.replication.factor': 1, 'transaction.state.log.replication.factor': 1, 'transaction.state.log.min.isr': 1 } : {}),
    ...options.config,
  };
  const config = new BrokerConfig(new Map(Object.entries(overrides).map(([k, v]) => [k, String(v)])));
  const broker = new Broker({ config, logger: options.logger, onRequestFrame: options.onRequestFrame });
  try {
    await broker.start();
  } catch (e) {
    await broker.close().catch(() => undefined);
    if (temporary) await rm(temporary, { recursive: true, force: true });
    throw e;
  }
  const port = broker.servers[0]!.port;
  const advertised = broker.advertisedListeners()[0]!;
  return {
    bootstrap: `${advertised.host}:${advertised.port}`,
    port,
    logDirs,
    broker,
    async close() {
      await broker.close();
      if (temporary) await rm(temporary, { recursive: true, force: true });
    },
  };
}
