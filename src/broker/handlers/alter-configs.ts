// AlterConfigs (key 33), v0-2: sets a resource's whole set of overrides (keys left out are
// removed; KIP-339's IncrementalAlterConfigs changes single keys). v1 only changes throttling,
// v2 is flexible. validateOnly checks without changing anything. TOPIC resources set the topic's
// overrides; BROKER resources (this node's id, or "" for the cluster default) set the dynamic
// broker configs (see dynamic-configs.ts); BROKER_LOGGER is not supported by this API (as in
// Kafka). A resource given twice gets INVALID_REQUEST for each occurrence.
import { AlterConfigs, type AlterConfigsRequest, type AlterConfigsResponse } from '../../protocol/generated/apis/33-alter-configs.js';
import { checkAlterEntries, validateDynamicBrokerConfigs, validateTopicOverrides } from '../admin-configs.js';
import { brokerResource } from '../dynamic-configs.js';
import type { BrokerContext } from '../context.js';
import type { ApiHandler } from '../handler.js';
import {
  alterEachResource,
  NO_ERROR,
  topicResourceError,
  unknownResourceType,
  unknownTopic,
  type ApiError,
} from './admin-util.js';

export function alterConfigsHandler(broker: BrokerContext): ApiHandler<AlterConfigsRequest, AlterConfigsResponse> {
  const alterTopic = async (r: AlterConfigsRequest.AlterConfigsResource, validateOnly: boolean): Promise<ApiError> => {
    const bad = checkAlterEntries(r.configs) ?? topicResourceError(r.resourceName);
    if (bad) return bad;
    const configs: Record<string, string> = {};
    for (const c of r.configs) configs[c.name] = c.value!;
    const invalid = validateTopicOverrides(configs);
    if (invalid) return invalid;
    if (!broker.metadata.topic(r.resourceName)) return unknownTopic(r.resourceName);
    if (!validateOnly) await broker.topics.setConfigs(r.resourceName, configs);
    return NO_ERROR;
  };

  const alterBroker = async (r: AlterConfigsRequest.AlterConfigsResource, validateOnly: boolean): Promise<ApiError> => {
    const which = brokerResource(r.resourceName, broker.nodeId);
    if (typeof which !== 'string') return which;
    const bad = checkAlterEntries(r.configs);
    if (bad) return bad;
    const configs: Record<string, string> = {};
    for (const c of r.configs) configs[c.name] = c.value!;
    const invalid = validateDynamicBrokerConfigs(configs);
    if (invalid) return invalid;
    if (!validateOnly) await broker.dynamicConfigs.update(which, () => configs);
    return NO_ERROR;
  };

  return {
    api: AlterConfigs,
    minVersion: 0,
    maxVersion: 2,
    async handle(req) {
      const responses = await alterEachResource(req.resources, broker.logger, {
        topic: (r) => alterTopic(r, req.validateOnly),
        broker: (r) => alterBroker(r, req.validateOnly),
        otherType: (r) => unknownResourceType(r.resourceType),
      });
      return { throttleTimeMs: 0, responses };
    },
  };
}
