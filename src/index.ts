// Public entry point of the package for programmatic use (tests, embedding).
export { Broker, type BrokerOptions } from './server/broker.js';
export { loadConfig, DEFAULT_CONFIG, type BrokerConfig, type BrokerConfigInput } from './lib/config.js';
export { RobustMQError, ErrorCodes, type ErrorCode } from './lib/errors.js';
