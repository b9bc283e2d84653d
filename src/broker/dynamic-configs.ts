/**
 * Dynamic broker configs (Kafka's DynamicBrokerConfig for the log and log cleaner keys):
 * AlterConfigs/IncrementalAlterConfigs on the BROKER resource named by this node's id (per
 * broker) or "" (cluster default) change DYNAMIC_BROKER_CONFIGS at run time. They are part of
 * the metadata image (so they survive restarts) and win over server.properties; the broker's
 * metadata publisher puts a committed change into effect on every topic without its own override
 * (the topic's log config and produce checks are recomputed).
 */
import { BROKER_CONFIGS, BrokerConfig } from './config.js';
import { ErrorCode } from './errors.js';
import { parseNodeId, type ApiError } from './handlers/admin-util.js';
import type { MetadataProposer } from './metadata/store.js';
import type { Logger } from '../util/logger.js';
import { SerialQueue } from '../util/serial.js';

export type DynamicResource = 'node' | 'default';

/** Which dynamic set a BROKER resource name addresses, or its error. */
export function brokerResource(name: string, nodeId: number): DynamicResource | ApiError {
  if (name === '') return 'default';
  const id = parseNodeId(name);
  if (id === undefined) return { code: ErrorCode.INVALID_REQUEST, message: `Node id must be an integer, but it is: ${name}` };
  if (id !== nodeId) return { code: ErrorCode.INVALID_REQUEST, message: `Unexpected broker id, expected ${nodeId}, but received ${name}` };
  return 'node';
}

/** The controller side of dynamic broker configs: changes are proposed to the metadata store. */
export class DynamicConfigManager {
  /** Changes computed from the current configs run one at a time, so none is lost. */
  private readonly updates = new SerialQueue();

  constructor(
    private readonly config: BrokerConfig,
    private readonly logger: Logger,
    private readonly store: MetadataProposer,
  ) {}

  /** The configs in effect for one resource. */
  current(which: DynamicResource): Record<string, string> {
    return Object.fromEntries(which === 'node' ? this.config.dynamic : this.config.dynamicDefault);
  }

  /**
   * Replaces one resource's dynamic configs with what `compute` makes of the current ones
   * (already validated; undefined: no change).
   */
  update(which: DynamicResource, compute: (current: Record<string, string>) => Record<string, string> | undefined): Promise<void> {
    return this.updates.run(async () => {
      const configs = compute(this.current(which));
      if (configs === undefined) return;
      const node = which === 'node' ? configs : this.current('node');
      const clusterDefault = which === 'default' ? configs : this.current('default');
      // What BrokerConfig.setDynamic will check once the change is published: refused here, before it is stored.
      for (const [k, v] of [...Object.entries(clusterDefault), ...Object.entries(node)]) if (BROKER_CONFIGS[k]) BrokerConfig.check(k, v);
      await this.store.propose({ type: 'setBrokerConfigs', configs: { node, clusterDefault } });
      this.logger.info('dynamic broker configs changed', { resource: which, configs });
    });
  }
}
