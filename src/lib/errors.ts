// The error catalogue: every error the project raises on purpose carries one of these codes,
// so operators and scripts can match on a stable string (like fastify's FST_ERR_*).

export const ErrorCodes = {
  RMQ_ERR_CONFIG_FILE: 'the configuration file cannot be read or parsed',
  RMQ_ERR_CONFIG_INVALID: 'a configuration value is invalid',
  RMQ_ERR_LISTEN: 'a listener could not bind its address',
  RMQ_ERR_PROTOCOL: 'a client broke the MQTT protocol',
  RMQ_ERR_MALFORMED: 'a client sent a malformed packet',
  RMQ_ERR_PACKET_TOO_LARGE: 'a packet exceeds the maximum packet size',
  RMQ_ERR_TOPIC_INVALID: 'a topic name or topic filter is invalid',
  RMQ_ERR_STORAGE: 'the storage engine failed',
  RMQ_ERR_TOPIC_EXISTS: 'a topic with this name has been created already',
  RMQ_ERR_TOPIC_NOT_FOUND: 'no topic with this name has been created',
  RMQ_ERR_INVALID_ARGUMENT: 'an argument of an admin operation is invalid',
  RMQ_ERR_SHUTDOWN: 'the broker is shutting down',
  RMQ_ERR_UNREACHABLE: 'the admin endpoint cannot be reached',
  RMQ_ERR_ADMIN: 'the admin endpoint answered with an error',
  RMQ_ERR_WORKER: 'a worker process could not start or answer',
  RMQ_ERR_CLIENT_NOT_FOUND: 'no client with this id is connected',
  RMQ_ERR_NOT_FOUND: 'no such route in the admin REST API',
  RMQ_ERR_UNSUPPORTED: 'the operation is not available in this configuration',
  RMQ_ERR_SESSION_NOT_FOUND: 'the node holds no session of this client id',
  RMQ_ERR_RETAINED_NOT_FOUND: 'no message is retained on this topic',
  RMQ_ERR_USER_EXISTS: 'a user with this username exists already',
  RMQ_ERR_USER_NOT_FOUND: 'no user with this username exists',
  RMQ_ERR_ACL_NOT_FOUND: 'no ACL rule with this id exists',
  RMQ_ERR_BAN_NOT_FOUND: 'this client id, username or IP address is not banned',
  RMQ_ERR_CONTEXT_NOT_FOUND: 'no robustmq-cli context with this name',
  RMQ_ERR_CONFIG_KEY: 'the configuration key is unknown or cannot be changed while the broker runs',
  RMQ_ERR_MQTT_REFUSED:
    'the broker refused an MQTT request of the CLI (its CONNACK, PUBACK, PUBREC or SUBACK reason code)',
  RMQ_ERR_UNAUTHORIZED: 'the admin call carries no valid admin token',
  RMQ_ERR_TOKEN_NOT_FOUND: 'no admin token with this id exists',
  RMQ_ERR_AUTH_PROVIDER: 'an authentication provider cannot start: its file or key cannot be read',
  RMQ_ERR_TOPIC_REWRITE_NOT_FOUND: 'no topic rewrite rule with this id exists',
  RMQ_ERR_DELAYED_NOT_FOUND: 'no delayed message with this id is held',
  RMQ_ERR_AUTO_SUBSCRIBE_NOT_FOUND: 'no auto-subscribe rule with this id or topic exists',
  RMQ_ERR_AUTO_SUBSCRIBE_EXISTS: 'an auto-subscribe rule for this topic exists already',
  RMQ_ERR_CONFIG_DEFINED:
    'defined in the configuration file (an auto-subscribe or topic rewrite rule, a schema or a binding): change the file and restart',
  RMQ_ERR_EXCLUSIVE_NOT_FOUND: 'no client holds an exclusive subscription to this filter',
  RMQ_ERR_SCHEMA_EXISTS: 'a schema with this name exists already',
  RMQ_ERR_SCHEMA_NOT_FOUND: 'no schema with this name exists',
  RMQ_ERR_SCHEMA_IN_USE: 'the schema is bound to topic filters: unbind it first',
  RMQ_ERR_SCHEMA_BINDING_NOT_FOUND: 'the schema is not bound to this topic filter',
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

export class RobustMQError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'RobustMQError';
  }
}

export function isRobustMQError(err: unknown): err is RobustMQError {
  return err instanceof RobustMQError;
}
