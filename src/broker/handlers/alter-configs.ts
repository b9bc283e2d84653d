// AlterConfigs (key 33), v0-2: sets a resource's whole set of overrides (keys left out are
// removed; KIP-339's IncrementalAlterConfigs changes single keys). v1 only changes throttling,
// v2 is flexible. validateOnly checks without changing anything. TOPIC resources set the topic's
// overrides; BROKER resources (this node's id, or "" for the cluster default) set the dynamic
// broker configs (see dynamic-configs.ts); BROKER_LOGGER is not supported by this API (as in
// Kafka). A resource given twice gets INVALID_REQUEST for each occurrence.
import { AlterConfigs, type AlterConfigsRequest, type AlterConfigsResponse } from '../../protocol/generated/apis/33-alter-configs.js';
import { checkAlterEntries, ResourceType, validateDynamicBrokerConfigs, validateTopicOverrides } from '../admin-configs.js';
import { brokerResource, setDynamicBrokerConfigs } from '../dynamic-configs.js';
import type { Broker } from '../broker.js';
import { ErrorCode } from '../errors.js';
import type { ApiHandler } from '../handler.js';
import {
  DUPLICATE_RESOURCE,
  duplicateResources,
  NO_ERROR,
  resourceKey,
  toApiError,
  topicResourceError,
  unknownTopic,
  type ApiError,
} from './admin-util.js';

export function alterConfigsHandler(broker: Broker): ApiHandler<AlterConfigsRequest, AlterConfigsResponse> {
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
    if (!validateOnly) await setDynamicBrokerConfigs(broker, which, configs);
    return NO_ERROR;
  };

  return {
    api: AlterConfigs,
    minVersion: 0,
    maxVersion: 2,
    async handle(req) {
      const duplicates = duplicateResources(req.resources);
      const responses: AlterConfigsResponse.AlterConfigsResourceResponse[] = [];
      for (const r of req.resources) {
        let e: ApiError;
        if (duplicates.has(resourceKey(r))) e = DUPLICATE_RESOURCE;
        else if (r.resourceType === ResourceType.TOPIC) {
          try {
            e = await alterTopic(r, req.validateOnly);
          } catch (err) {
            e = toApiError(err, broker.logger, `alter configs of topic ${r.resourceName}`);
          }
        } else if (r.resourceType === ResourceType.BROKER) {
          try {
            e = await alterBroker(r, req.validateOnly);
          } catch (err) {
            e = toApiError(err, broker.logger, `alter configs of broker ${r.resourceName}`);
          }
        }
        else e = { code: ErrorCode.INVALID_REQUEST, message: `Unknown resource type ${r.resourceType}` };
        responses.push({ errorCode: e.code, errorMessage: e.message, resourceType: r.resourceType, resourceName: r.resourceName });
      }
      return { throttleTimeMs: 0, responses };
    },
  };
}
