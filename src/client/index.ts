/** Samsa's Kafka client: talks the Kafka protocol to any broker. */
export * from './errors.js';
export { Connection, parseHostPort, type ConnectionOptions } from './connection.js';
export { Cluster, type ClientOptions, type BrokerInfo, type PartitionInfo, type TopicInfo } from './cluster.js';
export * from './admin.js';
export * from './producer.js';
export * from './consumer.js';
export * from './assignors.js';
export { murmur2, partitionForKey } from './partitioner.js';
