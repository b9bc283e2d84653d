/**
 * What handlers and the wiring modules see of the broker: read-only views (the current metadata
 * image, config) and the services they delegate to (replica manager, coordinators, and the
 * controller-side managers that propose metadata changes), not the node itself (its servers,
 * metadata store, handler registry, start and close). Tests build one directly
 * (test/unit/broker/context-helpers.ts); the Broker is one.
 */
import type { GroupCoordinator } from '../coordinators/group/index.js';
import type { TransactionCoordinator } from '../coordinators/transaction/coordinator.js';
import type { Logger } from '../util/logger.js';
import type { BrokerConfig } from './config.js';
import type { DynamicConfigManager } from './dynamic-configs.js';
import type { MetadataImage } from './metadata/image.js';
import type { ReplicaManager } from './replica/replica-manager.js';
import type { TopicManager } from './topic-manager.js';

export interface BrokerContext {
  readonly nodeId: number;
  readonly config: BrokerConfig;
  readonly logger: Logger;
  /** The metadata image as of the last committed change: read it afresh after an await. */
  readonly metadata: MetadataImage;
  readonly replicas: ReplicaManager;
  /** Topic changes (create, delete, partitions, configs), proposed to the metadata store. */
  readonly topics: TopicManager;
  /** Dynamic broker config changes, proposed to the metadata store. */
  readonly dynamicConfigs: DynamicConfigManager;
  readonly groups: GroupCoordinator;
  readonly txn: TransactionCoordinator;
}
