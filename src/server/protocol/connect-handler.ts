// CONNECT: protocol name and level, client identifier rules per version, keepalive limits,
// will validation, v5 CONNECT properties, session open/resume/takeover and the CONNACK.
import { randomBytes } from 'node:crypto';
import type mqtt from 'mqtt-packet';
import { validateTopicName } from '../../lib/topic.js';
import { createMessage, type MessageProperties } from '../message.js';
import { NEVER_EXPIRES } from '../session/session.js';
import type { Connection } from './connection.js';
import { variableHeaderOffset } from './frame-reader.js';
import { PacketError } from './publish-codec.js';
import { RC, connackCodeV3 } from './reason-codes.js';
import { inspectConnect } from './utf8-check.js';
import type { AuthDecision } from '../security/auth-chain.js';
import type { AuthRequest } from '../security/auth-types.js';
import { scramConnect, scramMethodEnabled } from '../security/scram-exchange.js';
import type { ScramMethod } from '../security/scram.js';
import { authorize } from '../security/authorizer.js';
import { findBan } from '../security/ban-check.js';

/** Protocol name and level straight from the bytes, before anything else parses them. */
function readProtocol(frame: Buffer): { name: string; level: number } | null {
  const off = variableHeaderOffset(frame);
  if (off + 2 > frame.length) return null;
  const len = frame.readUInt16BE(off);
  if (off + 2 + len + 1 > frame.length) return null;
  return { name: frame.toString('latin1', off + 2, off + 2 + len), level: frame[off + 2 + len]! };
}

function refuse(conn: Connection, v5: boolean, code: number, reason: string): void {
  conn.broker.metrics.connectionsRefused++;
  conn.log.info({ clientId: conn.clientId || undefined, code, reason }, 'connection refused');
  if (v5) {
    conn.protocolVersion = 5;
    const properties = reason && conn.requestProblemInformation ? { reasonString: reason } : undefined;
    conn.send({ cmd: 'connack', sessionPresent: false, reasonCode: code, properties } as mqtt.IConnackPacket);
  } else {
    conn.protocolVersion = 4;
    conn.send({ cmd: 'connack', sessionPresent: false, returnCode: connackCodeV3(code) } as mqtt.IConnackPacket);
  }
  conn.destroy(reason);
}

export function handleConnectFrame(conn: Connection, frame: Buffer): void {
  const broker = conn.broker;
  const limits = broker.config.limits;
  const proto = readProtocol(frame);
  if (!proto) {
    conn.destroy('CONNECT too short');
    return;
  }
  const level = proto.level & 0x7f; // the top bit marks a bridge (Mosquitto convention)
  const nameOk = (proto.name === 'MQTT' && (level === 4 || level === 5)) || (proto.name === 'MQIsdp' && level === 3);
  if (!nameOk) {
    if (proto.name !== 'MQTT' && proto.name !== 'MQIsdp') {
      // [MQTT-3.1.2-1] a wrong protocol name: close without going on
      broker.metrics.protocolErrors++;
      conn.destroy(`unknown protocol name ${JSON.stringify(proto.name)}`);
      return;
    }
    // [MQTT-3.1.2-2] unsupported level: 0x01 (3.x) / 0x84 (5.0), then close
    refuse(conn, level === 5, RC.UNSUPPORTED_PROTOCOL_VERSION, `unsupported protocol level ${proto.level}`);
    return;
  }
  const v5 = level === 5;
  let packet: mqtt.IConnectPacket;
  try {
    packet = conn.parseFrame(frame) as mqtt.IConnectPacket;
  } catch (err) {
    broker.metrics.protocolErrors++;
    // [MQTT-4.13.1-1] v5: CONNACK 0x81 may be sent for a malformed CONNECT
    if (v5) refuse(conn, true, RC.MALFORMED_PACKET, (err as Error).message);
    else conn.destroy(`malformed CONNECT: ${(err as Error).message}`);
    return;
  }
  // [MQTT-3.1.2-12] (5.0) Will QoS 3; 3.x: [MQTT-3.1.2-22] a Password needs a User Name
  const willQos3 = (packet.will?.qos as number | undefined) === 3;
  if (willQos3 || (!v5 && packet.password !== undefined && packet.username === undefined)) {
    broker.metrics.protocolErrors++;
    if (v5) refuse(conn, true, RC.MALFORMED_PACKET, 'malformed CONNECT flags');
    else conn.destroy('malformed CONNECT flags');
    return;
  }
  conn.protocolVersion = level as 3 | 4 | 5;
  const props = (packet.properties ?? {}) as NonNullable<mqtt.IConnectPacket['properties']>;
  if (props.requestProblemInformation === false) conn.requestProblemInformation = false;

  const inspected = inspectConnect(frame, v5);
  if (!inspected.ok) {
    broker.metrics.protocolErrors++;
    // [MQTT-1.5.4-1] ill-formed UTF-8, [MQTT-1.5.4-2] U+0000, or bytes after the last field
    if (v5) refuse(conn, true, RC.MALFORMED_PACKET, 'malformed CONNECT (bad string or trailing bytes)');
    else conn.destroy('malformed CONNECT (bad string or trailing bytes)');
    return;
  }
  // a verified client certificate names the user of a CONNECT without one (tls_cert_as_username)
  conn.username = packet.username ?? conn.info.certUsername;

  // v5 enhanced authentication: the SCRAM methods of auth.scram; any other is refused [MQTT-4.12.0-1]
  let authMethod: ScramMethod | undefined;
  if (v5 && props.authenticationMethod !== undefined) {
    if (!scramMethodEnabled(broker.config, props.authenticationMethod)) {
      refuse(
        conn,
        true,
        RC.BAD_AUTHENTICATION_METHOD,
        `authentication method ${props.authenticationMethod} is not supported`,
      );
      return;
    }
    authMethod = props.authenticationMethod;
  } else if (v5 && props.authenticationData !== undefined) {
    // "It is a Protocol Error to include Authentication Data if there is no Authentication Method" (3.1.2.11.10)
    broker.metrics.protocolErrors++;
    refuse(conn, true, RC.PROTOCOL_ERROR, 'Authentication Data without an Authentication Method');
    return;
  }

  // --- client identifier ---
  let clientId = packet.clientId ?? '';
  let assigned: string | undefined;
  if (Buffer.byteLength(clientId) > limits.max_client_id_length) {
    broker.metrics.limitHit('max_client_id_length');
    refuse(conn, v5, RC.CLIENT_IDENTIFIER_NOT_VALID, 'client identifier too long');
    return;
  }
  if (clientId === '') {
    if (level === 3) {
      // MQTT 3.1: the client identifier must be 1 to 23 characters
      refuse(conn, false, RC.CLIENT_IDENTIFIER_NOT_VALID, 'MQTT 3.1 requires a client identifier');
      return;
    }
    if (level === 4 && !packet.clean) {
      // [MQTT-3.1.3-8] empty id with CleanSession=0 is rejected with 0x02
      refuse(conn, false, RC.CLIENT_IDENTIFIER_NOT_VALID, 'empty client identifier needs CleanSession=1');
      return;
    }
    // [MQTT-3.1.3-6] / [MQTT-3.2.2-16] the server assigns a unique identifier
    clientId = assigned = conn.broker.newClientId(() => `robustmq-${randomBytes(8).toString('hex')}`);
  }
  conn.clientId = clientId;

  // --- keepalive ---
  let serverKeepAlive: number | undefined;
  const keepalive = packet.keepalive ?? 0;
  conn.keepalive = keepalive;
  const maxKa = limits.max_keepalive;
  if (maxKa > 0 && maxKa < 65535 && (keepalive > maxKa || keepalive === 0)) {
    if (v5) {
      serverKeepAlive = maxKa; // [MQTT-3.2.2-21] the client must use the Server Keep Alive
      conn.keepalive = maxKa;
    } else if (keepalive > maxKa) {
      broker.metrics.limitHit('max_keepalive');
      refuse(conn, false, RC.CLIENT_IDENTIFIER_NOT_VALID, `keepalive ${keepalive} is above max_keepalive ${maxKa}`);
      return;
    }
  }

  // --- will ---
  let will: { message: ReturnType<typeof createMessage>; delay: number } | undefined;
  if (packet.will) {
    const w = { ...packet.will, qos: packet.will.qos ?? 0, retain: !!packet.will.retain };
    const check = validateTopicName(w.topic, limits.max_topic_levels);
    if (!check.ok) {
      refuse(conn, v5, RC.TOPIC_NAME_INVALID, `will topic: ${check.reason}`);
      return;
    }
    if (w.qos > limits.max_qos) {
      refuse(conn, v5, RC.QOS_NOT_SUPPORTED, `will QoS ${w.qos} is above the maximum QoS ${limits.max_qos}`);
      return;
    }
    if (w.retain && !limits.retain_available) {
      refuse(conn, v5, RC.RETAIN_NOT_SUPPORTED, 'retained messages are not available');
      return;
    }
    const wp = (w.properties ?? {}) as NonNullable<mqtt.IConnectPacket['will']>['properties'] & object;
    const properties: MessageProperties = {};
    if (wp.payloadFormatIndicator !== undefined) properties.payloadFormatIndicator = wp.payloadFormatIndicator ? 1 : 0;
    if (wp.messageExpiryInterval !== undefined) properties.messageExpiryInterval = wp.messageExpiryInterval;
    if (wp.contentType !== undefined) properties.contentType = wp.contentType;
    if (wp.responseTopic !== undefined) properties.responseTopic = wp.responseTopic;
    if (wp.correlationData !== undefined) properties.correlationData = Buffer.from(wp.correlationData);
    if (wp.userProperties) {
      // [MQTT-3.1.3-10] in the order sent, which mqtt-packet's grouped object does not keep
      properties.userProperties = inspected.willUserProperties;
    }
    will = {
      message: createMessage({
        topic: w.topic,
        payload: Buffer.from(w.payload ?? Buffer.alloc(0)),
        qos: w.qos,
        retain: w.retain,
        properties: Object.keys(properties).length ? properties : undefined,
        origin: clientId,
      }),
      delay: v5 ? (wp.willDelayInterval ?? 0) : 0,
    };
  }

  // --- v5 client limits ---
  if (v5) {
    if (props.receiveMaximum === 0 || props.maximumPacketSize === 0) {
      // "It is a Protocol Error to include the Receive Maximum / Maximum Packet Size value of 0" (3.1.2.11)
      refuse(conn, true, RC.PROTOCOL_ERROR, 'Receive Maximum and Maximum Packet Size must not be 0');
      return;
    }
    if (props.receiveMaximum !== undefined) conn.clientReceiveMax = props.receiveMaximum;
    if (props.maximumPacketSize !== undefined) conn.clientMaxPacketSize = props.maximumPacketSize;
    if (props.topicAliasMaximum !== undefined) conn.clientTopicAliasMax = props.topicAliasMaximum;
  }

  // --- session expiry ---
  let expiry: number;
  let expiryCapped = false;
  if (v5) {
    expiry = props.sessionExpiryInterval ?? 0;
    if (expiry > limits.max_session_expiry_interval) {
      expiry = limits.max_session_expiry_interval;
      expiryCapped = true;
    }
  } else {
    // CleanSession=0 never expires (as in Mosquitto) unless the operator caps it
    expiry = packet.clean ? 0 : Math.min(NEVER_EXPIRES, limits.max_session_expiry_interval);
  }
  conn.connectExpiry = expiry;

  conn.state = 'authenticating';
  const request: AuthRequest = {
    clientId,
    username: conn.username,
    password: packet.password === undefined ? undefined : Buffer.from(packet.password),
    remoteAddress: conn.info.remoteAddress,
    remotePort: conn.info.remotePort,
    transport: conn.info.transport,
    protocolVersion: conn.protocolVersion,
    certCommonName: conn.info.certCommonName,
    abandoned: () => conn.state === 'closed',
  };
  const accepted: Accepted = {
    clean: packet.clean !== false,
    expiry,
    expiryCapped,
    will,
    assigned,
    serverKeepAlive,
    bannedChecked: request.username,
  };
  if (refuseBanned(conn, request)) return;
  const decided =
    authMethod === undefined
      ? broker.authChain.authenticate(request)
      : scramConnect(conn, authMethod, props.authenticationData, request).then((outcome) => {
          accepted.auth = { method: authMethod, data: outcome.serverFinal };
          return outcome.decision;
        });
  decided
    .then((decision) => admit(conn, decision, accepted))
    // a throw in the providers or in admit() (session open, hooks) ends this connection, not the broker
    .catch((err: unknown) => {
      conn.log.error({ err }, 'internal error while admitting a client');
      if (conn.state === 'authenticating') refuse(conn, v5, RC.UNSPECIFIED_ERROR, 'internal error');
      else if (conn.state === 'connected') conn.disconnect(RC.IMPLEMENTATION_SPECIFIC_ERROR, 'internal error');
    });
}

/**
 * Banned (client id, username as in the request, remote address, regex): refused with v5 0x8A Banned /
 * 3.1.1 return code 5, before any provider is asked. (Flapping counts in admit(), once a client is
 * authenticated: wrong passwords under someone else's client id must not get that client banned.)
 */
function refuseBanned(conn: Connection, request: AuthRequest): boolean {
  const broker = conn.broker;
  const ban = findBan(broker.security, request);
  if (!ban) return false;
  broker.metrics.connectionsBanned++;
  refuse(conn, conn.v5, RC.BANNED, ban.reason === 'flapping' ? 'banned: flapping' : 'banned');
  return true;
}

/**
 * A resumed session keeps only the subscriptions this client may make now: it may be another user
 * than the one who subscribed, or the rules may have changed while it was away. Nothing to do (and
 * no cost) while no rule exists and acl.no_match allows.
 */
function dropUnauthorizedSubscriptions(conn: Connection, session: NonNullable<Connection['session']>): void {
  if (conn.superuser) return;
  const broker = conn.broker;
  const noRules = conn.connectionAcl === undefined && broker.security.acls().length === 0;
  if (noRules && broker.config.acl.no_match === 'allow') return;
  for (const s of [...session.subscriptions.values()]) {
    if (authorize(conn, { action: 'subscribe', topic: s.filter, qos: s.qos, retain: false })) continue;
    broker.unsubscribe(session, s.rawFilter);
    broker.metrics.aclDeniedSubscribe++;
    conn.log.info({ clientId: conn.clientId, filter: s.rawFilter }, 'resumed subscription dropped: not authorized');
  }
}

/** What CONNECT asked for that is settled once the client is authenticated. */
interface Accepted {
  clean: boolean;
  expiry: number;
  expiryCapped: boolean;
  will?: { message: ReturnType<typeof createMessage>; delay: number };
  assigned?: string;
  serverKeepAlive?: number;
  /** The username the ban check saw (SCRAM may settle on another: that one is checked in admit). */
  bannedChecked?: string;
  /** Enhanced authentication: the method and the last data, for the CONNACK [MQTT-4.12.0-5]. */
  auth?: { method: string; data?: Buffer };
}

/** After authentication: refuse, or open (or resume) the session and send CONNACK. */
function admit(conn: Connection, decision: AuthDecision, a: Accepted): void {
  if (conn.state !== 'authenticating') return; // closed (or timed out) while the providers answered
  const broker = conn.broker;
  const limits = broker.config.limits;
  const v5 = conn.v5;
  const result = decision.result;
  if (result.outcome !== 'allow') {
    refuse(
      conn,
      v5,
      result.outcome === 'deny' ? result.reasonCode : RC.NOT_AUTHORIZED,
      result.outcome === 'deny' ? result.reason : 'not authorized',
    );
    return;
  }
  if (conn.username !== a.bannedChecked && conn.username !== undefined) {
    // the username authentication settled on (SCRAM's) was not the one checked before it
    const ban = findBan(broker.security, { clientId: conn.clientId, username: conn.username, remoteAddress: '' });
    if (ban) {
      broker.metrics.connectionsBanned++;
      refuse(conn, v5, RC.BANNED, 'banned');
      return;
    }
  }
  if (broker.flapping.connected(conn.clientId)) {
    broker.metrics.connectionsBanned++;
    refuse(conn, v5, RC.BANNED, 'banned: flapping');
    return;
  }
  conn.superuser = result.superuser === true;
  if (result.acl?.length) conn.connectionAcl = result.acl;
  // the will's topic is rewritten by the publish rules (topic rewrite) before it is authorized, as a PUBLISH's
  const rewrite = broker.features.rewrite;
  if (a.will && rewrite !== undefined) {
    const topic = rewrite.publishTopic(conn, a.will.message.topic);
    if (topic !== a.will.message.topic) a.will = { ...a.will, message: { ...a.will.message, topic } };
  }
  // the will is authorized once, here: a client may not leave a will it could not publish
  const will = a.will?.message;
  if (will && !authorize(conn, { action: 'publish', topic: will.topic, qos: will.qos, retain: will.retain })) {
    broker.metrics.aclDeniedPublish++;
    refuse(conn, v5, RC.NOT_AUTHORIZED, 'not authorized to publish the will');
    return;
  }
  // and its payload checked against the schemas bound to its topic, as a PUBLISH's would be: "drop"
  // discards the will; "reject" / "disconnect" refuse the CONNECT (v5 0x99 Payload format invalid,
  // which MQTT 5 names for a will payload; 3.1.1 has no such code: 5 Not authorized)
  const schema = broker.features.schema;
  if (will && schema !== undefined) {
    const verdict = schema.check(conn, will.topic, will.payload);
    if (verdict === 'drop') {
      conn.log.info({ topic: will.topic }, 'will payload does not match its schema: the will is discarded');
      a.will = undefined;
    } else if (verdict !== 'ok') {
      refuse(
        conn,
        v5,
        v5 ? RC.PAYLOAD_FORMAT_INVALID : RC.NOT_AUTHORIZED,
        `will payload does not match the schema of ${will.topic}`,
      );
      return;
    }
  }
  const clientId = conn.clientId;
  const { session, present } = broker.sessions.open(conn, clientId, a.clean, a.expiry);
  conn.session = session;
  session.will = a.will;
  if (present) dropUnauthorizedSubscriptions(conn, session);
  conn.state = 'connected';
  broker.metrics.connectionsAccepted++;

  const connack: mqtt.IConnackPacket = { cmd: 'connack', sessionPresent: present, returnCode: 0 };
  if (v5) {
    connack.reasonCode = RC.SUCCESS;
    const p: NonNullable<mqtt.IConnackPacket['properties']> = {
      receiveMaximum: limits.receive_maximum,
      maximumPacketSize: limits.max_packet_size,
      topicAliasMaximum: limits.topic_alias_maximum,
      retainAvailable: limits.retain_available,
      wildcardSubscriptionAvailable: true,
      subscriptionIdentifiersAvailable: true,
      sharedSubscriptionAvailable: true,
    };
    if (limits.max_qos < 2) p.maximumQoS = limits.max_qos as 0 | 1;
    if (a.assigned) p.assignedClientIdentifier = a.assigned;
    if (a.serverKeepAlive !== undefined) p.serverKeepAlive = a.serverKeepAlive;
    if (a.expiryCapped) p.sessionExpiryInterval = a.expiry;
    if (a.auth) {
      p.authenticationMethod = a.auth.method;
      if (a.auth.data) p.authenticationData = a.auth.data;
    }
    connack.properties = p;
    delete (connack as { returnCode?: number }).returnCode;
  }
  conn.send(connack);
  const window = Math.min(conn.clientReceiveMax, limits.max_inflight);
  session.attach(conn, window);
  conn.debug({ clientId, version: conn.protocolVersion, present, keepalive: conn.keepalive }, 'client connected');
  broker.clientConnected(conn);
  session.resume();
  if (broker.logs.size > 0) broker.logs.resume(session); // topic logs it fell behind on while away
  conn.replayHeld(); // what the client sent after its CONNECT, while it was being authenticated
}

export { PacketError };
