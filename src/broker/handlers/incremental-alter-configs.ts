// IncrementalAlterConfigs (key 44), v0-1 (KIP-339): changes single keys of a resource's
// overrides with SET (0), DELETE (1), APPEND (2) and SUBTRACT (3); APPEND and SUBTRACT only on
// list-typed configs (INVALID_CONFIG otherwise). v1 is flexible. validateOnly checks without
// changing anything. TOPIC resources change the topic's overrides; BROKER resources (this node's
// id, or "" for the cluster default) change the dynamic broker configs (see dynamic-configs.ts);
// BROKER_LOGGER resources get INVALID_REQUEST (Kafka sets log4j levels with them). A resource
// given twice gets INVALID_REQUEST for each occurrence.
import { IncrementalAlterConfigs, type IncrementalAlterConfigsRequest, type IncrementalAlterConfigsResponse } from '../../protocol/generated/apis/44-incremental-alter-configs.js';
import { applyBrokerIncrementalOps, applyIncrementalOps, ResourceType } from '../admin-configs.js';
import { brokerResource } from '../dynamic-configs.js';
import type { BrokerContext } from '../context.js';
import { ErrorCode } from '../errors.js';
import type { ApiHandler } from '../handler.js';
import {
  alterEachResource,
  isApiError,
  NO_ERROR,
  topicResourceError,
  unknownResourceType,
  unknownTopic,
  type ApiError,
} from './admin-util.js';

export function incrementalAlterConfigsHandler(broker: BrokerContext): ApiHandler<IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse> {
  const alterTopic = async (r: IncrementalAlterConfigsRequest.AlterConfigsResource, validateOnly: boolean): Promise<ApiError> => {
    let outcome: ApiError = NO_ERROR;
    // Computed from the configs the previous change committed, so concurrent requests cannot lose updates.
    await broker.topics.updateConfigs(r.resourceName, (current) => {
      const result = applyIncrementalOps(broker.config, current ?? {}, r.configs);
      if (isApiError(result)) outcome = result;
      else if (current === undefined) outcome = topicResourceError(r.resourceName) ?? unknownTopic(r.resourceName);
      else if (!validateOnly) return result.configs;
      return undefined;
    });
    return outcome;
  };

  const alterBroker = async (r: IncrementalAlterConfigsRequest.AlterConfigsResource, validateOnly: boolean): Promise<ApiError> => {
    const which = brokerResource(r.resourceName, broker.nodeId);
    if (typeof which !== 'string') return which;
    let outcome: ApiError = NO_ERROR;
    await broker.dynamicConfigs.update(which, (current) => {
      const result = applyBrokerIncrementalOps(broker.config, current, r.configs);
      if (isApiError(result)) outcome = result;
      else if (!validateOnly) return result.configs;
      return undefined;
    });
    return outcome;
  };

  return {
    api: IncrementalAlterConfigs,
    minVersion: 0,
    maxVersion: 1,
    async handle(req) {
      const responses = await alterEachResource(req.resources, broker.logger, {
        topic: (r) => alterTopic(r, req.validateOnly),
        broker: (r) => alterBroker(r, req.validateOnly),
        otherType: (r) =>
          r.resourceType === ResourceType.BROKER_LOGGER
            ? { code: ErrorCode.INVALID_REQUEST, message: 'Changing log levels with BROKER_LOGGER resources is not supported by this broker.' }
            : unknownResourceType(r.resourceType),
      });
      return { throttleTimeMs: 0, responses };
    },
  };
}
