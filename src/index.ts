export { startBroker, type StartBrokerOptions, type RunningBroker } from './start.js';
export { Broker, SAMSA_VERSION } from './broker/broker.js';
export { BrokerConfig, ConfigError } from './broker/config.js';
