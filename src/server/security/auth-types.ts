// What an authentication provider is asked and what it answers. Providers are chained in the order
// the configuration lists them (auth.providers); each answers allow, deny or ignore (EMQX's model).
import type { AclRecord } from '../storage/storage-adapter.js';

/** The connecting client as the providers see it. */
export interface AuthRequest {
  clientId: string;
  username?: string;
  /** The CONNECT Password field as sent (binary in MQTT 5, UTF-8 in practice). */
  password?: Buffer;
  remoteAddress: string;
  remotePort: number;
  transport: 'tcp' | 'tls' | 'ws' | 'wss';
  /** MQTT protocol level: 3, 4 or 5. */
  protocolVersion: 3 | 4 | 5;
  /** The verified client certificate's subject CN (TLS listeners with client certificates). */
  certCommonName?: string;
  /** True once the client has gone (closed, timed out): a provider may skip expensive work then. */
  abandoned?: () => boolean;
}

/**
 * An ACL rule a provider attaches to one connection (e.g. from a JWT claim): evaluated before the
 * stored rules. qos and retain are optional conditions, as in AclRecord.
 */
export type ConnectionAclRule = Pick<AclRecord, 'filter' | 'action' | 'permission'> &
  Partial<Pick<AclRecord, 'qos' | 'retain'>>;

export type AuthResult =
  | {
      outcome: 'allow';
      /** Bypasses every ACL rule. */
      superuser?: boolean;
      /** Rules for this connection only, evaluated first. */
      acl?: ConnectionAclRule[];
    }
  | {
      outcome: 'deny';
      /** 0x86 Bad User Name or Password (3.1.1: 4) or 0x87 Not authorized (3.1.1: 5), or 0x8C. */
      reasonCode: number;
      /** For the log and the v5 Reason String: never the password. */
      reason: string;
    }
  | { outcome: 'ignore' };

export interface AuthProvider {
  /** As in auth.providers, e.g. "builtin", "jwt". */
  readonly name: string;
  authenticate(req: AuthRequest): AuthResult | Promise<AuthResult>;
  /** Connects to what the provider needs (a database, ...) before the broker listens. */
  start?(): Promise<void>;
  stop?(): Promise<void>;
  /** Reads its files again (SIGHUP): a provider whose users or keys live in files. */
  reload?(): Promise<void>;
}

export const IGNORE: AuthResult = { outcome: 'ignore' };
