// Shared pieces of the admin sessions (admin.ts, admin-configs.ts): resource types and
// IncrementalAlterConfigs operations by number, DescribeConfigs requests and the step that records
// one.
import { DescribeConfigs, type DescribeConfigsRequest } from '../../../src/protocol/generated/index.js';
import type { SessionPeer } from '../harness.js';

export const TOPIC = 2;
export const BROKER = 4;
export const BROKER_LOGGER = 8;
export const SET = 0;
export const DELETE = 1;
export const APPEND = 2;
export const SUBTRACT = 3;

export const latest = (peer: SessionPeer, api: Parameters<SessionPeer['versions']>[0]) => peer.versions(api).at(-1)!;

export function describe(resources: [type: number, name: string, keys?: string[] | null][], includeSynonyms = false, includeDocumentation = false): DescribeConfigsRequest {
  return { resources: resources.map(([resourceType, resourceName, keys]) => ({ resourceType, resourceName, configurationKeys: keys ?? null })), includeSynonyms, includeDocumentation };
}

/**
 * A DescribeConfigs step. Synonyms are recorded as `name@source=value` in their order: they are
 * an ordered list in which one name may appear several times (once per source), which the
 * alignment by name would fold together.
 */
export const describeCall = (peer: SessionPeer, v: number, req: DescribeConfigsRequest, label: string) =>
  peer.call(DescribeConfigs, v, req, {
    label,
    view: (res) => ({
      ...res,
      results: res.results.map((r: any) => ({ ...r, configs: r.configs.map((c: any) => ({ ...c, synonyms: c.synonyms.map((x: any) => `${x.name}@${x.source}=${x.value}`) })) })),
    }),
  });

/** DescribeConfigs of a topic's given keys (the latest version, with synonyms). */
export const describeTopic = (peer: SessionPeer, name: string, keys: string[], label: string) => describeCall(peer, latest(peer, DescribeConfigs), describe([[TOPIC, name, keys]], true), label);
