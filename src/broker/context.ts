/**
 * What handlers and the wiring modules see of the broker: the views they read and the services
 * they delegate to, not the node itself (its servers, handler registry, start and close).
 * Tests build one directly; the Broker is one.
 */
import type { GroupCoordinator } from '../coordinators/group/index.js';
import type { TransactionCoordinator } from '../coordinators/transaction/coordinator.js';
import type { Logger } from '../util/logger.js';
import type { BrokerConfig, Listener } from './config.js';
import type { MetadataStore } from './metadata.js';
import type { ReplicaManager } from './replica/replica-manager.js';
import type { TopicManager } from './topic-manager.js';

export interface BrokerContext {
  readonly nodeId: number;
  readonly config: BrokerConfig;
  readonly logger: Logger;
  readonly metadata: MetadataStore;
  readonly replicas: ReplicaManager;
  readonly topics: TopicManager;
  readonly groups: GroupCoordinator;
  readonly txn: TransactionCoordinator;
  /** The advertised endpoint of the listener a request arrived on (Kafka answers per listener). */
  advertisedListener(listenerName: string): Listener;
}
