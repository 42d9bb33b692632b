// auth.providers -> the provider objects, in the configured order. A provider's settings are its
// own section ([auth.jwt], ...), which the schema makes sure is there when the provider is listed.
import type { Broker } from '../broker.js';
import type { AuthProvider } from './auth-types.js';
import { BuiltinProvider } from './builtin-provider.js';
import { HttpProvider } from './providers/http-provider.js';
import { JwtProvider } from './providers/jwt-provider.js';
import { mysqlProvider } from './providers/mysql-provider.js';
import { PasswordFileProvider } from './providers/password-file-provider.js';
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
    const log = broker.log.child({ provider: name });
    switch (name) {
      case 'builtin':
        return new BuiltinProvider(broker.security);
      case 'password_file':
        return new PasswordFileProvider(table(name, auth.password_file).path, log);
      case 'jwt':
        return new JwtProvider(table(name, auth.jwt), log);
      case 'http':
        return new HttpProvider(table(name, auth.http), log);
      case 'postgres':
        return postgresProvider(table(name, auth.postgres), broker.log);
      case 'mysql':
        return mysqlProvider(table(name, auth.mysql), broker.log);
      case 'redis':
        return redisProvider(table(name, auth.redis), broker.log);
    }
  });
}
