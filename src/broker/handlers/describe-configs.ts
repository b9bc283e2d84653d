// DescribeConfigs (key 32), v0-4. v0 flags default values with isDefault; v1+ reports each
// config's source and, when includeSynonyms is set, its synonyms (the topic override, broker keys
// set explicitly, broker defaults); v2 is v1; v3+ adds configType and documentation (always null
// here); v4 is flexible. Resources: TOPIC (2); BROKER (4) named by this node's id (dynamic configs
// reported with source DYNAMIC_BROKER_CONFIG), or "" for the cluster-wide dynamic defaults alone;
// BROKER_LOGGER (8) is answered with an empty list. A null or empty key list means every config.
import { DescribeConfigs, type DescribeConfigsRequest, type DescribeConfigsResponse } from '../../protocol/generated/apis/32-describe-configs.js';
import { ConfigSource, describeBrokerConfigs, describeDynamicDefaultConfigs, describeTopicConfigs, ResourceType, type DescribedConfig } from '../admin-configs.js';
import type { BrokerContext } from '../context.js';
import { ErrorCode } from '../errors.js';
import type { ApiHandler } from '../handler.js';
import { invalidTopicName } from '../metadata/names.js';
import { parseNodeId, toApiError, type ApiError } from './admin-util.js';

type Result = DescribeConfigsResponse.DescribeConfigsResult;

export function describeConfigsHandler(broker: BrokerContext): ApiHandler<DescribeConfigsRequest, DescribeConfigsResponse> {
  const invalid = (message: string): ApiError => ({ code: ErrorCode.INVALID_REQUEST, message });

  /** The configs of one resource, or its error. */
  const configsOf = (r: DescribeConfigsRequest.DescribeConfigsResource): DescribedConfig[] | ApiError => {
    const name = r.resourceName;
    switch (r.resourceType) {
      case ResourceType.TOPIC: {
        const bad = invalidTopicName(name);
        if (bad) return { code: ErrorCode.INVALID_TOPIC_EXCEPTION, message: bad };
        const topic = broker.metadata.topic(name);
        if (!topic) return { code: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, message: null };
        return describeTopicConfigs(broker.config, topic.configs, r.configurationKeys);
      }
      case ResourceType.BROKER: {
        if (name === '') return describeDynamicDefaultConfigs(broker.config, r.configurationKeys);
        const id = parseNodeId(name);
        if (id === undefined) return invalid(`Broker id must be an integer, but it is: ${name}`);
        if (id !== broker.nodeId) return invalid(`Unexpected broker id, expected ${broker.nodeId} or empty string, but received ${name}`);
        return describeBrokerConfigs(broker.config, r.configurationKeys);
      }
      case ResourceType.BROKER_LOGGER: {
        if (name === '') return invalid('Broker id must not be empty');
        const id = parseNodeId(name);
        if (id === undefined) return invalid(`Broker id must be an integer, but it is: ${name}`);
        if (id !== broker.nodeId) return invalid(`Unexpected broker id, expected ${broker.nodeId} but received ${name}`);
        return [];
      }
      default:
        return invalid(`Unsupported resource type: ${r.resourceType}`);
    }
  };

  return {
    api: DescribeConfigs,
    minVersion: 0,
    maxVersion: 4,
    handle(req, ctx) {
      const v = ctx.apiVersion;
      const includeSynonyms = v >= 1 && req.includeSynonyms;
      const results = req.resources.map((r): Result => {
        let found: DescribedConfig[] | ApiError;
        try {
          found = configsOf(r);
        } catch (e) {
          found = toApiError(e, broker.logger, `describe configs of ${r.resourceName}`);
        }
        const base = { resourceType: r.resourceType, resourceName: r.resourceName };
        if (!Array.isArray(found)) return { ...base, errorCode: found.code, errorMessage: found.message, configs: [] };
        return {
          ...base,
          errorCode: ErrorCode.NONE,
          errorMessage: null,
          configs: found.map((c) => ({
            name: c.name,
            value: c.value,
            readOnly: c.readOnly,
            // The field exists in v0 only; later versions carry the source instead.
            isDefault: v === 0 && c.source === ConfigSource.DEFAULT_CONFIG,
            configSource: c.source,
            isSensitive: c.isSensitive,
            synonyms: includeSynonyms ? c.synonyms : [],
            configType: c.configType,
            documentation: null,
          })),
        };
      });
      return { throttleTimeMs: 0, results };
    },
  };
}
