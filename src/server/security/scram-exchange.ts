// MQTT 5 enhanced authentication of the built-in users with SCRAM (auth.scram), carried in AUTH
// packets (MQTT 5.0 section 4.12): at CONNECT (client-first in CONNECT, server-first in AUTH 0x18,
// client-final in AUTH 0x18, server-final in the CONNACK) and as re-authentication while connected
// (client-first in AUTH 0x19, ..., server-final in AUTH 0x00; a failure ends the connection).
// Refusals are counted and logged by the AuthChain under the provider name "scram".
import { randomBytes } from 'node:crypto';
import type mqtt from 'mqtt-packet';
import type { BrokerConfig } from '../../lib/config-schema.js';
import type { Connection } from '../protocol/connection.js';
import { PacketError } from '../protocol/publish-codec.js';
import { RC } from '../protocol/reason-codes.js';
import type { AuthDecision } from './auth-chain.js';
import type { AuthRequest } from './auth-types.js';
import {
  decoyCredential,
  isScramMethod,
  newServerNonce,
  parseClientFinal,
  parseClientFirst,
  SCRAM_METHODS,
  ScramError,
  serverFirstMessage,
  verifyClientFinal,
  type ClientFirst,
  type ScramCredential,
  type ScramMethod,
} from './scram.js';

const PROVIDER = 'scram';
const RC_REAUTHENTICATE = 0x19;
/** Salts of decoy credentials (per process): stable per username, unrelated to any real salt. */
const DECOY_SECRET = randomBytes(32);

/** Whether `method` is a SCRAM mechanism auth.scram lets clients use. */
export function scramMethodEnabled(config: Pick<BrokerConfig, 'auth'>, method: string): method is ScramMethod {
  const s = config.auth.scram;
  // SCRAM logs in the built-in users: not when the operator took builtin out of auth.providers
  return (
    s.enabled &&
    config.auth.providers.includes('builtin') &&
    isScramMethod(method) &&
    (s.algorithms as readonly string[]).includes(method)
  );
}

/** A SCRAM exchange waiting for the client's AUTH with its client-final-message. */
export interface ScramExchange {
  method: ScramMethod;
  first: ClientFirst;
  serverFirst: string;
  nonce: string;
  credential: ScramCredential;
  /** Set when the credential is a decoy: why the proof cannot succeed (for the log only). */
  decoy?: string;
  /** At CONNECT: settles the admission. Undefined for a re-authentication. */
  settle?: (outcome: ScramOutcome) => void;
}

/** How a CONNECT exchange ended: the admission decision and, on success, the server-final-message. */
export interface ScramOutcome {
  decision: AuthDecision;
  serverFinal?: Buffer;
}

function requestOf(conn: Connection, username: string | undefined): AuthRequest {
  return {
    clientId: conn.clientId,
    username,
    remoteAddress: conn.info.remoteAddress,
    remotePort: conn.info.remotePort,
    transport: conn.info.transport,
    protocolVersion: conn.protocolVersion,
    certCommonName: conn.info.certCommonName,
  };
}

function authData(data: Buffer | undefined): string {
  if (data === undefined || data.length === 0) throw new ScramError('no Authentication Data');
  return data.toString('utf8');
}

/** Sends AUTH 0x18 with the server-first-message and returns the exchange that waits for the answer. */
function challenge(conn: Connection, method: ScramMethod, first: ClientFirst): ScramExchange {
  const user = conn.broker.security.user(first.username);
  const real = user?.scram?.[method];
  const hash = SCRAM_METHODS[method];
  const credential = real ?? decoyCredential(hash, first.username, DECOY_SECRET);
  const nonce = first.clientNonce + newServerNonce();
  const serverFirst = serverFirstMessage(nonce, credential);
  sendAuth(conn, RC.CONTINUE_AUTHENTICATION, method, serverFirst);
  const decoy = real ? undefined : user ? 'user has no SCRAM credentials (set its password again)' : 'unknown username';
  return { method, first, serverFirst, nonce, credential, decoy };
}

function sendAuth(conn: Connection, reasonCode: number, method: string, data: string): void {
  const packet: mqtt.IAuthPacket = {
    cmd: 'auth',
    reasonCode,
    properties: { authenticationMethod: method, authenticationData: Buffer.from(data, 'utf8') },
  };
  conn.send(packet);
}

type Checked =
  { ok: true; serverFinal: string; superuser: boolean } | { ok: false; code: number; reason: string; logged: string };

/** Checks the client-final-message of `ex` against the user as it is now. */
function check(conn: Connection, ex: ScramExchange, data: Buffer | undefined): Checked {
  const bad = (logged: string): Checked => ({
    ok: false,
    code: RC.BAD_USER_NAME_OR_PASSWORD,
    reason: 'bad username or password',
    logged,
  });
  let verdict;
  try {
    const final = parseClientFinal(authData(data));
    verdict = verifyClientFinal(SCRAM_METHODS[ex.method], ex.credential, ex.first, ex.serverFirst, ex.nonce, final);
  } catch (err) {
    if (!(err instanceof ScramError)) throw err;
    return { ok: false, code: RC.NOT_AUTHORIZED, reason: `SCRAM: ${err.message}`, logged: `SCRAM: ${err.message}` };
  }
  if (ex.decoy !== undefined) return bad(`SCRAM: ${ex.decoy}`);
  if (!verdict.ok) return bad('SCRAM: bad password (wrong proof)');
  // deleted, or its password set again, during the exchange
  const user = conn.broker.security.user(ex.first.username);
  if (user?.scram?.[ex.method]?.storedKey !== ex.credential.storedKey) return bad('SCRAM: user changed meanwhile');
  return { ok: true, serverFinal: verdict.serverFinal, superuser: user.superuser };
}

/**
 * CONNECT with a SCRAM Authentication Method: checks the client-first-message (CONNECT's
 * Authentication Data), sends the server-first-message, and settles once the client's AUTH with the
 * client-final-message is checked. The connect timeout covers the whole exchange.
 */
export function scramConnect(
  conn: Connection,
  method: ScramMethod,
  data: Buffer | undefined,
  req: AuthRequest,
): Promise<ScramOutcome> {
  conn.authMethod = method;
  const chain = conn.broker.authChain;
  let first: ClientFirst;
  try {
    first = parseClientFirst(authData(data));
  } catch (err) {
    if (!(err instanceof ScramError)) throw err;
    const reason = `SCRAM: ${err.message}`;
    return Promise.resolve({ decision: chain.deny(req, PROVIDER, RC.NOT_AUTHORIZED, reason) });
  }
  // the CONNECT User Name, when there is one, must name the same user: one identity per connection
  if (req.username !== undefined && req.username !== first.username) {
    return Promise.resolve({
      decision: chain.deny(
        req,
        PROVIDER,
        RC.BAD_USER_NAME_OR_PASSWORD,
        'bad username or password',
        'SCRAM: the CONNECT User Name is not the SCRAM username',
      ),
    });
  }
  return new Promise((settle) => {
    const ex = challenge(conn, method, first);
    ex.settle = settle;
    conn.scram = ex;
  });
}

/** A protocol error during the CONNECT exchange: CONNACK with `code`, not counted as a failed login. */
function connectProtocolError(conn: Connection, ex: ScramExchange, code: number, reason: string): void {
  conn.broker.metrics.protocolErrors++;
  ex.settle!({ decision: { provider: PROVIDER, result: { outcome: 'deny', reasonCode: code, reason } } });
}

/**
 * An AUTH packet from a client whose CONNECT named an Authentication Method: the answer to the
 * server-first-message while the CONNECT is being authenticated, else a re-authentication step.
 * Protocol errors of a connected client are thrown as PacketError (DISCONNECT by the caller).
 */
export function handleAuthFrame(conn: Connection, frame: Buffer): void {
  const ex = conn.scram;
  if (conn.state === 'authenticating') {
    if (!ex?.settle) return;
    conn.scram = null;
    let packet: mqtt.IAuthPacket;
    try {
      packet = conn.parseFrame(frame) as mqtt.IAuthPacket;
    } catch (err) {
      if (!(err instanceof PacketError)) throw err;
      connectProtocolError(conn, ex, err.reasonCode, err.message);
      return;
    }
    if (packet.reasonCode !== RC.CONTINUE_AUTHENTICATION) {
      // [MQTT-4.12.0-3] the client answers the server's AUTH with 0x18 Continue authentication
      connectProtocolError(
        conn,
        ex,
        RC.PROTOCOL_ERROR,
        `AUTH reason code 0x${packet.reasonCode.toString(16)} before CONNACK`,
      );
      return;
    }
    if (packet.properties?.authenticationMethod !== ex.method) {
      // [MQTT-4.12.0-5] every AUTH carries the Authentication Method of the CONNECT
      connectProtocolError(conn, ex, RC.PROTOCOL_ERROR, 'AUTH with another Authentication Method than CONNECT');
      return;
    }
    const checked = check(conn, ex, packet.properties.authenticationData);
    const req = requestOf(conn, ex.first.username);
    if (!checked.ok) {
      ex.settle({ decision: conn.broker.authChain.deny(req, PROVIDER, checked.code, checked.reason, checked.logged) });
      return;
    }
    conn.username = ex.first.username;
    ex.settle({
      decision: { provider: PROVIDER, result: { outcome: 'allow', superuser: checked.superuser } },
      serverFinal: Buffer.from(checked.serverFinal, 'utf8'),
    });
    return;
  }
  reauthenticate(conn, conn.parseFrame(frame) as mqtt.IAuthPacket);
}

/** Re-authentication (4.12.1): the connection keeps working meanwhile; a failure ends it. */
function reauthenticate(conn: Connection, packet: mqtt.IAuthPacket): void {
  const method = packet.properties?.authenticationMethod;
  if (method !== conn.authMethod) {
    // [MQTT-4.12.1-1] the same Authentication Method as the CONNECT
    throw new PacketError(RC.PROTOCOL_ERROR, 'AUTH with another Authentication Method than CONNECT');
  }
  const ex = conn.scram;
  if (packet.reasonCode === RC_REAUTHENTICATE && ex === null) {
    let first: ClientFirst;
    try {
      first = parseClientFirst(authData(packet.properties?.authenticationData));
    } catch (err) {
      if (!(err instanceof ScramError)) throw err;
      reauthFailed(conn, conn.username, `SCRAM: ${err.message}`);
      return;
    }
    if (first.username !== conn.username) {
      reauthFailed(conn, first.username, 'SCRAM: re-authentication as another user');
      return;
    }
    conn.scram = challenge(conn, method as ScramMethod, first);
    return;
  }
  if (packet.reasonCode === RC.CONTINUE_AUTHENTICATION && ex !== null) {
    conn.scram = null;
    const checked = check(conn, ex, packet.properties?.authenticationData);
    if (!checked.ok) {
      reauthFailed(conn, ex.first.username, checked.logged);
      return;
    }
    conn.superuser = checked.superuser;
    sendAuth(conn, RC.SUCCESS, ex.method, checked.serverFinal);
    conn.debug({ clientId: conn.clientId, username: conn.username }, 're-authenticated');
    return;
  }
  throw new PacketError(
    RC.PROTOCOL_ERROR,
    ex === null
      ? `AUTH reason code 0x${packet.reasonCode.toString(16)} without a re-authentication in progress`
      : `AUTH reason code 0x${packet.reasonCode.toString(16)} during a re-authentication`,
  );
}

/** [MQTT-4.12.1-2] a failed re-authentication: DISCONNECT 0x87 Not authorized, then close. */
function reauthFailed(conn: Connection, username: string | undefined, logged: string): void {
  conn.broker.authChain.deny(
    requestOf(conn, username),
    PROVIDER,
    RC.NOT_AUTHORIZED,
    're-authentication failed',
    logged,
  );
  conn.disconnect(RC.NOT_AUTHORIZED, 're-authentication failed');
}
