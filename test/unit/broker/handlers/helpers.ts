// The admin handlers under test run against a real metadata store and topic manager (logs
// stubbed out); requests and responses pass through the generated codecs at the version under
// test, as on the wire.
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrokerContext } from '../../../../src/broker/context.js';
import type { ApiHandler, RequestContext } from '../../../../src/broker/handler.js';
import { decodeMessage, encodeMessage } from '../../../../src/protocol/runtime/index.js';
import { storeContext } from '../context-helpers.js';

export interface Harness {
  broker: BrokerContext;
  dir: string;
  opened: string[];
  deleted: string[];
}

export async function harness(props: Record<string, string> = {}): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'samsa-admin-'));
  const { broker, replicas } = await storeContext(dir, props);
  return { broker, dir, opened: replicas.opened, deleted: replicas.deleted };
}

const ctx = (apiVersion: number): RequestContext => ({
  apiVersion,
  correlationId: 1,
  clientId: 'test',
  connectionId: 1,
  remoteAddress: '127.0.0.1',
  listenerName: 'PLAINTEXT',
});

/** Request → wire → handler → wire → response, at one version. */
export async function call<Req, Res>(h: ApiHandler<Req, Res>, req: Partial<Req>, version: number): Promise<Res> {
  assert.ok(version >= h.minVersion && version <= h.maxVersion);
  const full = { ...h.api.request.defaults(), ...req } as Req;
  const decoded = decodeMessage(h.api.request, encodeMessage(h.api.request, full, version), version);
  const res = await h.handle(decoded, ctx(version));
  assert.ok(res);
  return decodeMessage(h.api.response, encodeMessage(h.api.response, res, version), version);
}

/** A CreateTopics entry; assignments as [partitionIndex, brokerIds]. */
export const topic = (name: string, numPartitions = 1, replicationFactor = -1, configs: Record<string, string | null> = {}, assignments: [number, number[]][] = []) => ({
  name,
  numPartitions,
  replicationFactor,
  assignments: assignments.map(([partitionIndex, brokerIds]) => ({ partitionIndex, brokerIds })),
  configs: Object.entries(configs).map(([n, value]) => ({ name: n, value })),
});
