/**
 * Dynamic broker configs (Kafka's DynamicBrokerConfig for the log and log cleaner keys):
 * AlterConfigs/IncrementalAlterConfigs on the BROKER resource named by this node's id (per
 * broker) or "" (cluster default) change DYNAMIC_BROKER_CONFIGS at run time. They are kept in the
 * metadata store (so they survive restarts), win over server.properties, and reach every topic
 * without its own override at once (the topic's log config and produce checks are recomputed).
 */
import type { BrokerContext } from './context.js';
import { ErrorCode } from './errors.js';
import { parseNodeId, type ApiError } from './handlers/admin-util.js';

/** Which dynamic set a BROKER resource name addresses, or its error. */
export function brokerResource(name: string, nodeId: number): 'node' | 'default' | ApiError {
  if (name === '') return 'default';
  const id = parseNodeId(name);
  if (id === undefined) return { code: ErrorCode.INVALID_REQUEST, message: `Node id must be an integer, but it is: ${name}` };
  if (id !== nodeId) return { code: ErrorCode.INVALID_REQUEST, message: `Unexpected broker id, expected ${nodeId}, but received ${name}` };
  return 'node';
}

/** The current dynamic configs of one resource. */
export function currentDynamicConfigs(broker: BrokerContext, which: 'node' | 'default'): Record<string, string> {
  return Object.fromEntries(which === 'node' ? broker.config.dynamic : broker.config.dynamicDefault);
}

/** Replaces one resource's dynamic configs (already validated), persists them and applies them to every log. */
export async function setDynamicBrokerConfigs(broker: BrokerContext, which: 'node' | 'default', configs: Record<string, string>): Promise<void> {
  const node = which === 'node' ? configs : currentDynamicConfigs(broker, 'node');
  const clusterDefault = which === 'default' ? configs : currentDynamicConfigs(broker, 'default');
  broker.config.setDynamic(node, clusterDefault);
  await broker.metadata.setBrokerConfigs(node, clusterDefault);
  broker.replicas.brokerConfigChanged();
  broker.logger.info('dynamic broker configs changed', { resource: which, configs });
}

/** At start: the stored dynamic configs (a value that no longer parses is dropped with a warning). */
export function loadDynamicBrokerConfigs(broker: BrokerContext): void {
  const stored = broker.metadata.brokerConfigs;
  try {
    broker.config.setDynamic(stored.node, stored.clusterDefault);
  } catch (e) {
    broker.logger.warn('stored dynamic broker configs ignored', { error: e });
  }
}
