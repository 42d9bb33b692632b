// The jwt provider: a JSON Web Token in the CONNECT password (or username), signed with HS256 (a
// shared secret), RS256 or ES256 (a public key file). A value that is not a JWT is left to the next
// provider; a JWT with a bad signature, another algorithm, an `exp` in the past, an `nbf` in the
// future or a claim that differs from auth.jwt.verify_claims is refused 0x86. A good token lets the
// client in, as a superuser when the superuser claim is true, with the ACL rules of the acl claim.
import { readFileSync } from 'node:fs';
import { decodeProtectedHeader, errors, importSPKI, importX509, jwtVerify, type JWTPayload } from 'jose';
import type { z } from 'zod';
import type { JwtAuthSchema } from '../../../lib/config-schema.js';
import { RobustMQError } from '../../../lib/errors.js';
import type { Logger } from '../../../lib/logger.js';
import { RC } from '../../protocol/reason-codes.js';
import { IGNORE, type AuthProvider, type AuthRequest, type AuthResult } from '../auth-types.js';
import { parseAclClaim } from './acl-claim.js';
import { fillPlaceholders } from './placeholders.js';

export type JwtSettings = z.infer<typeof JwtAuthSchema>;
type VerifyKey = Awaited<ReturnType<typeof importSPKI>> | Uint8Array;

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

function deny(reason: string): AuthResult {
  return { outcome: 'deny', reasonCode: RC.BAD_USER_NAME_OR_PASSWORD, reason };
}

/** Why jose refused a token, in words for the log (never the token). */
function refusal(err: unknown): string {
  if (err instanceof errors.JWTExpired) return 'token expired';
  if (err instanceof errors.JWTClaimValidationFailed) return `token claim "${err.claim}" refused: ${err.reason}`;
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'bad token signature';
  if (err instanceof errors.JOSEAlgNotAllowed) return 'token signed with another algorithm';
  return `bad token: ${(err as Error).message}`;
}

export class JwtProvider implements AuthProvider {
  readonly name = 'jwt';
  private key?: VerifyKey;

  constructor(
    private readonly settings: JwtSettings,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    this.key = await this.loadKey();
  }

  async reload(): Promise<void> {
    try {
      this.key = await this.loadKey();
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'jwt key cannot be read: the key read before stays');
    }
  }

  async authenticate(req: AuthRequest): Promise<AuthResult> {
    const token = this.settings.from === 'password' ? req.password?.toString('utf8') : req.username;
    if (token === undefined || !JWT_SHAPE.test(token)) return IGNORE;
    try {
      decodeProtectedHeader(token);
    } catch {
      return IGNORE; // three dotted parts, but no JOSE header: not a JWT
    }
    if (!this.key) throw new Error('the jwt provider has not started');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.key, { algorithms: [this.settings.algorithm] }));
    } catch (err) {
      return deny(refusal(err));
    }
    for (const [claim, template] of Object.entries(this.settings.verify_claims)) {
      const expected = fillPlaceholders(template, req);
      const got = payload[claim];
      if (!((typeof got === 'string' || typeof got === 'number') && String(got) === expected)) {
        return deny(`token claim "${claim}" does not match`);
      }
    }
    const result: AuthResult = { outcome: 'allow' };
    const superuser = payload[this.settings.superuser_claim];
    if (superuser === true || superuser === 'true') result.superuser = true;
    const acl = payload[this.settings.acl_claim];
    if (acl !== undefined) {
      try {
        const parsed = parseAclClaim(acl);
        if (parsed.skipped > 0) {
          this.log.debug(
            { clientId: req.clientId, skipped: parsed.skipped },
            'jwt acl allow rules with conditions left out',
          );
        }
        result.acl = parsed.rules;
      } catch (err) {
        return deny(`token ${(err as Error).message}`);
      }
    }
    return result;
  }

  private async loadKey(): Promise<VerifyKey> {
    const s = this.settings;
    const file = s.algorithm === 'HS256' ? s.secret_file : s.public_key_file;
    const key = s.algorithm === 'HS256' ? 'auth.jwt.secret_file' : 'auth.jwt.public_key_file';
    let text: string | undefined = s.secret;
    if (file !== undefined) {
      try {
        text = readFileSync(file, 'utf8');
      } catch (err) {
        throw new RobustMQError('RMQ_ERR_AUTH_PROVIDER', `${key}: cannot read ${file}: ${(err as Error).message}`, {
          cause: err,
        });
      }
    }
    if (s.algorithm === 'HS256') {
      const secret = text!.replace(/\r?\n$/, '');
      if (secret === '') throw new RobustMQError('RMQ_ERR_AUTH_PROVIDER', `${key}: the secret is empty`);
      return new TextEncoder().encode(secret);
    }
    try {
      return text!.includes('-----BEGIN CERTIFICATE-----')
        ? await importX509(text!, s.algorithm)
        : await importSPKI(text!, s.algorithm);
    } catch (err) {
      throw new RobustMQError(
        'RMQ_ERR_AUTH_PROVIDER',
        `${key}: ${file} is not a PEM ${s.algorithm === 'RS256' ? 'RSA' : 'EC P-256'} public key (SPKI "BEGIN PUBLIC KEY") or certificate: ${(err as Error).message}`,
        { cause: err },
      );
    }
  }
}
