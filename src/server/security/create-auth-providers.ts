// auth.providers -> the provider objects, in the configured order.
import type { Broker } from '../broker.js';
import type { AuthProvider } from './auth-types.js';
import { BuiltinProvider } from './builtin-provider.js';
import { mysqlProvider } from './providers/mysql-provider.js';
import { postgresProvider } from './providers/postgres-provider.js';
import { redisProvider } from './providers/redis-provider.js';

export function createAuthProviders(broker: Broker): AuthProvider[] {
  const auth = broker.config.auth;
  // the config schema refuses to start when a listed provider has no [auth.<name>] table
  const table = <T>(name: string, config: T | undefined): T => {
    if (config === undefined) throw new Error(`auth.providers lists "${name}" but [auth.${name}] is not configured`);
    return config;
  };
  return auth.providers.map((name): AuthProvider => {
    switch (name) {
      case 'builtin':
        return new BuiltinProvider(broker.security);
      case 'postgres':
        return postgresProvider(table(name, auth.postgres), broker.log);
      case 'mysql':
        return mysqlProvider(table(name, auth.mysql), broker.log);
      case 'redis':
        return redisProvider(table(name, auth.redis), broker.log);
    }
  });
}
