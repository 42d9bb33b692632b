// The gate in front of the admin endpoints (gRPC and REST): when admin.auth resolves to "token", a
// call passes only with `authorization: Bearer <token>` naming a valid token. Refusals are counted
// (NodeStatus.adminAuthFailures) and logged with the peer address and the reason, never the token;
// the log is rate-limited (a line at most every 10 s, with the count since) so a flood cannot fill it.
import type { BrokerConfig } from '../../lib/config.js';
import { RobustMQError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import type { AdminTokens } from './admin-tokens.js';

const LOG_INTERVAL_MS = 10_000;

const REASONS = {
  missing: 'no admin token was sent',
  malformed: 'the admin token is not one this broker issues',
  unknown: 'the admin token is not valid (unknown or revoked)',
  expired: 'the admin token has expired',
} as const;

export class AdminAuth {
  /** Calls refused since start. */
  failures = 0;
  private lastLogAt = 0;
  private failuresAtLastLog = 0;

  constructor(
    /** Whether calls need a token (admin.auth resolved). */
    readonly required: boolean,
    private readonly tokens: AdminTokens,
    private readonly log: Logger,
  ) {}

  /**
   * Throws RMQ_ERR_UNAUTHORIZED unless auth is off or `authorization` is `Bearer <valid token>`.
   * `peer` (an address) and `door` ('grpc' | 'rest') are for the log.
   */
  check(authorization: string | undefined, peer: string, door: string): void {
    if (!this.required) return;
    const presented = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization ?? '')?.[1];
    const result = presented === undefined ? ({ ok: false, reason: 'missing' } as const) : this.tokens.check(presented);
    if (result.ok) return;
    this.refused(peer, door, result.reason);
    throw new RobustMQError(
      'RMQ_ERR_UNAUTHORIZED',
      `${REASONS[result.reason]}; this endpoint needs an admin token (robustmq-cli --token or ROBUSTMQ_TOKEN; REST: Authorization: Bearer <token>)`,
    );
  }

  /**
   * REST with admin.tls_ca: throws RMQ_ERR_UNAUTHORIZED unless the TLS peer presented a certificate the
   * CA signed. (gRPC refuses such a peer in the handshake, before any call: not counted.)
   */
  checkClientCertificate(authorized: boolean, peer: string, door: string): void {
    if (authorized) return;
    this.refused(peer, door, 'certificate');
    throw new RobustMQError(
      'RMQ_ERR_UNAUTHORIZED',
      'no valid TLS client certificate was presented; this endpoint needs one signed by admin.tls_ca',
    );
  }

  private refused(peer: string, door: string, reason: string): void {
    this.failures++;
    const now = Date.now();
    if (now - this.lastLogAt >= LOG_INTERVAL_MS) {
      const since = this.failures - this.failuresAtLastLog;
      this.log.warn(
        { peer, door, reason, refused: since, total: this.failures },
        'admin call refused: no valid admin token or client certificate',
      );
      this.lastLogAt = now;
      this.failuresAtLastLog = this.failures;
    }
  }
}

/**
 * Loads the admin tokens and the bootstrap token (admin.bootstrap_token_file) before the admin
 * endpoints open; with auth on and no usable token, nobody could ever call them: the start fails.
 */
export async function loadAdminTokens(tokens: AdminTokens, auth: AdminAuth, config: BrokerConfig): Promise<void> {
  await tokens.load();
  const file = config.admin.bootstrap_token_file;
  if (file !== '') tokens.loadBootstrapFile(file);
  if (auth.required && tokens.usableCount() === 0 && (config.admin.grpc_enabled || config.admin.http_enabled)) {
    throw new RobustMQError(
      'RMQ_ERR_CONFIG_INVALID',
      'invalid configuration: admin.bootstrap_token_file: the admin endpoints need a token (admin.auth is "token", or "auto" with a non-loopback admin bind) and no admin token that has not expired exists: put a token of at least 32 characters in a file (openssl rand -hex 32 > admin-token; chmod 600 admin-token) and set admin.bootstrap_token_file (ROBUSTMQ_ADMIN_BOOTSTRAP_TOKEN_FILE) to it',
    );
  }
}
