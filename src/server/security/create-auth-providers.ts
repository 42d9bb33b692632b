// auth.providers -> the provider objects, in the configured order.
import type { Broker } from '../broker.js';
import type { AuthProvider } from './auth-types.js';
import { BuiltinProvider } from './builtin-provider.js';

export function createAuthProviders(broker: Broker): AuthProvider[] {
  return broker.config.auth.providers.map((name): AuthProvider => {
    switch (name) {
      case 'builtin':
        return new BuiltinProvider(broker.security);
    }
  });
}
