// auth.providers -> the provider objects, in the configured order. A provider's settings are its
// own section ([auth.jwt], ...), which the schema makes sure is there when the provider is listed.
import type { Broker } from '../broker.js';
import type { AuthProvider } from './auth-types.js';
import { BuiltinProvider } from './builtin-provider.js';
import { HttpProvider } from './providers/http-provider.js';
import { JwtProvider } from './providers/jwt-provider.js';
import { PasswordFileProvider } from './providers/password-file-provider.js';

export function createAuthProviders(broker: Broker): AuthProvider[] {
  const auth = broker.config.auth;
  return auth.providers.map((name): AuthProvider => {
    const log = broker.log.child({ provider: name });
    switch (name) {
      case 'builtin':
        return new BuiltinProvider(broker.security);
      case 'password_file':
        return new PasswordFileProvider(auth.password_file!.path, log);
      case 'jwt':
        return new JwtProvider(auth.jwt!, log);
      case 'http':
        return new HttpProvider(auth.http!, log);
    }
  });
}
