/**
 * A one-member etcd for the cluster bench: Debian's `etcd` from PATH on a free 127.0.0.1 port with
 * its own temp data folder, stopped by PID. Fails with the package's name when etcd is missing.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../tools/apache-kafka/kafka.js';

export interface EtcdProcess {
  readonly endpoint: string;
  readonly pid: number;
  stop(): Promise<void>;
}

/** On `host` (a loopback address), free ports. */
export async function startEtcd(host = '127.0.0.1'): Promise<EtcdProcess> {
  if (spawnSync('etcd', ['--version']).error) throw new Error('etcd is not on PATH: install the Debian package etcd-server');
  const dir = mkdtempSync(join(tmpdir(), 'samsa-bench-etcd-'));
  const [client, peer] = [await freePort(host), await freePort(host)];
  const endpoint = `http://${host}:${client}`;
  const peerUrl = `http://${host}:${peer}`;
  const child = spawn('etcd', ['--name', 'bench', '--data-dir', join(dir, 'data'), '--listen-client-urls', endpoint, '--advertise-client-urls', endpoint,
    '--listen-peer-urls', peerUrl, '--initial-advertise-peer-urls', peerUrl, '--initial-cluster', `bench=${peerUrl}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`etcd did not become ready:\n${log}`)), 20_000);
    child.stderr!.on('data', (d: Buffer) => {
      log = (log + d.toString()).slice(-8000);
      if (/ready to serve client requests/.test(log)) clearTimeout(timer), resolve();
    });
    void exited.then(() => (clearTimeout(timer), reject(new Error(`etcd exited:\n${log}`))));
  });
  child.stderr!.resume();
  return {
    endpoint,
    pid: child.pid!,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
