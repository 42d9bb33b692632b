// Authentication of a CONNECT: the providers of auth.providers asked in order until one allows or
// denies; when every one ignores the client, it is anonymous, and let in only while anonymous
// clients are allowed. Every refusal is counted and logged with the client id and address (never
// the password), at most 50 lines per 10 s so that a password-guessing loop cannot fill the disk.
import type { Logger } from '../../lib/logger.js';
import { RC } from '../protocol/reason-codes.js';
import type { AuthProvider, AuthRequest, AuthResult } from './auth-types.js';

const LOG_WINDOW_MS = 10_000;
/** A compact JWS (header.payload.signature, base64url, the header a JSON object): a token, not a name. */
const JWT_SHAPE = /^eyJ[\w-]*\.[\w-]*\.[\w-]*$/;
const LOG_LINES_PER_WINDOW = 50;

export interface AuthDecision {
  result: AuthResult;
  /** The provider that allowed or denied; undefined when the client went through as anonymous. */
  provider?: string;
}

export class AuthChain {
  /** Refused CONNECTs (bad credentials, not authorized, provider errors). */
  failures = 0;
  private windowStart = 0;
  private loggedInWindow = 0;
  private suppressed = 0;

  constructor(
    readonly providers: AuthProvider[],
    /** Whether a client no provider recognises is let in (auth.allow_anonymous, resolved). */
    private readonly allowAnonymous: () => boolean,
    private readonly log: Logger,
  ) {}

  /** Starts every provider; when one fails, those started are stopped again (no watcher or pool left behind). */
  async start(): Promise<void> {
    try {
      for (const p of this.providers) await p.start?.();
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  async stop(): Promise<void> {
    for (const p of this.providers) await p.stop?.().catch(() => {});
  }

  /** Asks every provider that reads files to read them again. */
  async reload(): Promise<void> {
    for (const p of this.providers) await p.reload?.();
  }

  async authenticate(req: AuthRequest): Promise<AuthDecision> {
    for (const provider of this.providers) {
      let result: AuthResult;
      try {
        result = await provider.authenticate(req);
      } catch (err) {
        // a provider that cannot answer (database down, timeout) does not let anyone in by mistake
        this.refused(req, provider.name, `provider error: ${(err as Error).message}`);
        return {
          provider: provider.name,
          result: { outcome: 'deny', reasonCode: RC.NOT_AUTHORIZED, reason: 'authentication unavailable' },
        };
      }
      if (result.outcome === 'ignore') continue;
      if (result.outcome === 'deny') this.refused(req, provider.name, result.reason);
      return { result, provider: provider.name };
    }
    if (this.allowAnonymous()) return { result: { outcome: 'allow' } };
    const reason = req.username === undefined ? 'anonymous clients are not allowed' : 'unknown username';
    this.refused(req, undefined, reason);
    // Mosquitto answers 5 (not authorized) to a client no password file knows; so do we
    return { result: { outcome: 'deny', reasonCode: RC.NOT_AUTHORIZED, reason: 'not authorized' } };
  }

  /**
   * A refusal decided outside the providers (SCRAM enhanced authentication, re-authentication):
   * counted and logged like theirs. `reason` is what the client is told; `logged` what the log says.
   */
  deny(req: AuthRequest, provider: string, reasonCode: number, reason: string, logged = reason): AuthDecision {
    this.refused(req, provider, logged);
    return { provider, result: { outcome: 'deny', reasonCode, reason } };
  }

  private refused(req: AuthRequest, provider: string | undefined, reason: string): void {
    this.failures++;
    const now = Date.now();
    if (now - this.windowStart >= LOG_WINDOW_MS) {
      if (this.suppressed > 0) {
        this.log.warn({ suppressed: this.suppressed }, 'authentication failures not logged in the last window');
      }
      this.windowStart = now;
      this.loggedInWindow = 0;
      this.suppressed = 0;
    }
    if (this.loggedInWindow >= LOG_LINES_PER_WINDOW) {
      this.suppressed++;
      return;
    }
    this.loggedInWindow++;
    this.log.warn(
      {
        clientId: req.clientId,
        // with auth.jwt.from = "username" the username is a credential: never logged
        username: req.username !== undefined && JWT_SHAPE.test(req.username) ? '***' : req.username,
        remote: `${req.remoteAddress}:${req.remotePort}`,
        transport: req.transport,
        provider,
        reason,
      },
      'authentication failed',
    );
  }
}
