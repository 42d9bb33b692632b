// Inbound PUBLISH (QoS 0/1/2, topic aliases, receive maximum, retain) and the four acknowledgements
// PUBACK/PUBREC/PUBREL/PUBCOMP in both directions of the QoS 1 and QoS 2 flows.
import { countLevels } from '../../lib/topic.js';
import { createMessage } from '../message.js';
import { authorize } from '../security/authorizer.js';
import type { SchemaVerdict } from '../features/feature-slots.js';
import type { Connection } from './connection.js';
import { decodePublish, encodeAck, PacketError } from './publish-codec.js';
import { RC } from './reason-codes.js';

const PUBACK = 4;
const PUBREC = 5;
const PUBREL = 6;
const PUBCOMP = 7;

export function handlePublishFrame(conn: Connection, frame: Buffer): void {
  const broker = conn.broker;
  const limits = broker.config.limits;
  const p = decodePublish(frame, conn.v5);
  broker.metrics.messagesReceived++;

  let topic = p.topic;
  let bindAlias: number | undefined;
  if (p.topicAlias !== undefined) {
    // [MQTT-3.3.2-8] alias 0 or above our Topic Alias Maximum is an error
    if (p.topicAlias === 0 || p.topicAlias > limits.topic_alias_maximum) {
      if (p.topicAlias > 0) broker.metrics.limitHit('topic_alias_maximum');
      throw new PacketError(RC.TOPIC_ALIAS_INVALID, `topic alias ${p.topicAlias} is out of range`);
    }
    if (topic === '') {
      const known = conn.inboundAliases?.get(p.topicAlias);
      if (known === undefined) throw new PacketError(RC.PROTOCOL_ERROR, `unknown topic alias ${p.topicAlias}`);
      topic = known;
    } else {
      bindAlias = p.topicAlias;
    }
  }
  if (topic === '') throw new PacketError(conn.v5 ? RC.PROTOCOL_ERROR : RC.MALFORMED_PACKET, 'empty topic name');
  // (U+0000 is refused by decodePublish already [MQTT-4.7.3-2])
  if (topic.includes('+') || topic.includes('#')) {
    // [MQTT-3.3.2-2] wildcards in a topic name
    throw new PacketError(RC.TOPIC_NAME_INVALID, 'topic name contains a wildcard');
  }
  // bound only once the topic passed the protocol checks, so refused PUBLISHes hold no memory
  if (bindAlias !== undefined) (conn.inboundAliases ??= new Map()).set(bindAlias, topic);
  if (p.qos > limits.max_qos) {
    // [MQTT-3.2.2-11] QoS above the advertised Maximum QoS
    throw new PacketError(RC.QOS_NOT_SUPPORTED, `QoS ${p.qos} is above the maximum QoS ${limits.max_qos}`);
  }
  if (p.retain && !limits.retain_available) {
    throw new PacketError(RC.RETAIN_NOT_SUPPORTED, 'retained messages are not available'); // [MQTT-3.2.2-14]
  }

  if (p.qos === 2) {
    if (conn.session!.incomingQos2.has(p.packetId)) {
      // a re-sent PUBLISH whose PUBREL has not come yet: not delivered twice [MQTT-4.3.3-9]
      conn.writeAck(encodeAck(PUBREC, p.packetId, 0, conn.v5));
      return;
    }
    if (conn.v5 && conn.session!.incomingQos2.size >= limits.receive_maximum) {
      broker.metrics.limitHit('receive_maximum');
      throw new PacketError(RC.RECEIVE_MAXIMUM_EXCEEDED, 'receive maximum exceeded'); // [MQTT-3.3.4-9]
    }
  }

  // the features' steps (src/server/features/feature-slots.ts): rewrite, then $delayed/ parsing
  const features = broker.features;
  if (features.rewrite !== undefined) topic = features.rewrite.publishTopic(conn, topic);
  let delaySeconds: number | undefined;
  let refusal: string | undefined;
  if (features.delayed !== undefined && topic.startsWith('$delayed/')) {
    const d = features.delayed.parse(topic);
    if (d === undefined) {
      // the feature is off: an ordinary topic
    } else if ('error' in d) refusal = d.error;
    else {
      delaySeconds = d.delaySeconds;
      // the destination is rewritten as a PUBLISH to it would be (EMQX rewrites the message again
      // when it is released); a rule may not turn it into a delayed topic once more
      topic = features.rewrite !== undefined ? features.rewrite.publishTopic(conn, d.topic) : d.topic;
      if (topic.startsWith('$delayed/')) refusal = 'the destination of a delayed topic is a delayed topic';
    }
  }

  // empty, wildcard, U+0000 and length were checked above and by decodePublish: only the policy
  // limit on levels is left, and it refuses this message only, not the connection
  let reason: number = RC.SUCCESS;
  let verdict: SchemaVerdict;
  const maxLevels = limits.max_topic_levels;
  if (refusal !== undefined) {
    conn.log.info({ topic, reason: refusal }, 'publish refused');
    reason = RC.TOPIC_NAME_INVALID;
  } else if (maxLevels > 0 && countLevels(topic) > maxLevels) {
    broker.metrics.limitHit('max_topic_levels');
    conn.log.info({ topic, reason: `topic has more than ${maxLevels} levels` }, 'publish refused');
    reason = RC.TOPIC_NAME_INVALID;
  } else if (!authorize(conn, { action: 'publish', topic, qos: p.qos, retain: p.retain })) {
    broker.metrics.aclDeniedPublish++;
    broker.metrics.drop('acl_denied');
    conn.debug({ topic, qos: p.qos, retain: p.retain }, 'publish not authorized');
    if (broker.config.acl.deny_action === 'disconnect') {
      conn.disconnect(RC.NOT_AUTHORIZED, `not authorized to publish to ${topic}`);
      return;
    }
    // v5: 0x87 in PUBACK / PUBREC. 3.1.1 has no negative acknowledgement: the server "MUST either make
    // a positive acknowledgement, according to the normal QoS rules, or close the Network Connection"
    // [MQTT-3.3.5-2]; the message is dropped either way.
    if (conn.v5) reason = RC.NOT_AUTHORIZED;
  } else if (features.schema !== undefined && (verdict = features.schema.check(conn, topic, p.payload)) !== 'ok') {
    if (verdict === 'disconnect') {
      conn.disconnect(RC.PAYLOAD_FORMAT_INVALID, `payload does not match the schema of ${topic}`);
      return;
    }
    // 'drop': acknowledged as usual, not routed; 'reject': v5 0x99 in PUBACK / PUBREC, and 3.1.1
    // (no negative acknowledgement) the normal acknowledgement [MQTT-3.3.5-2]
    if (verdict === 'reject' && conn.v5) reason = RC.PAYLOAD_FORMAT_INVALID;
  } else {
    const message = createMessage({
      topic,
      payload: p.payload,
      qos: p.qos,
      retain: p.retain,
      properties: p.properties,
      origin: conn.clientId,
    });
    if (delaySeconds !== undefined) {
      reason = features.delayed!.hold(conn, message, delaySeconds);
    } else {
      const matched = broker.publish(message);
      if (matched === 0) reason = RC.NO_MATCHING_SUBSCRIBERS;
    }
  }

  if (p.qos === 1) {
    conn.writeAck(encodeAck(PUBACK, p.packetId, reason, conn.v5));
  } else if (p.qos === 2) {
    if (reason < 0x80) {
      conn.session!.incomingQos2.add(p.packetId);
      if (conn.session!.persistent) broker.storage.addIncomingQos2(conn.clientId, p.packetId);
    }
    conn.writeAck(encodeAck(PUBREC, p.packetId, reason, conn.v5));
  }
}

export function handleAckFrame(conn: Connection, frame: Buffer, type: number): void {
  // fixed header flags: 0000, except PUBREL: 0010 [MQTT-3.6.1-1]
  const flags = frame[0]! & 0x0f;
  if (flags !== (type === PUBREL ? 2 : 0)) throw new PacketError(RC.MALFORMED_PACKET, 'reserved flags set');
  const remaining = frame.length - 2;
  if (frame[1]! & 0x80 || remaining < 2) throw new PacketError(RC.MALFORMED_PACKET, 'bad acknowledgement length');
  if (!conn.v5 && remaining !== 2) throw new PacketError(RC.MALFORMED_PACKET, 'bad acknowledgement length');
  const packetId = frame.readUInt16BE(2);
  if (packetId === 0) throw new PacketError(RC.MALFORMED_PACKET, 'packet identifier 0');
  const reasonCode = remaining >= 3 ? frame[4]! : 0;
  const session = conn.session!;
  switch (type) {
    case PUBACK:
      session.onPuback(packetId);
      break;
    case PUBREC:
      session.onPubrec(packetId, reasonCode);
      break;
    case PUBREL: {
      // [MQTT-4.3.3-11] answer PUBREL with PUBCOMP; v5: 0x92 when the id is unknown
      const known = session.incomingQos2.delete(packetId);
      if (known && session.persistent) conn.broker.storage.removeIncomingQos2(conn.clientId, packetId);
      conn.writeAck(encodeAck(PUBCOMP, packetId, known ? 0 : RC.PACKET_IDENTIFIER_NOT_FOUND, conn.v5));
      break;
    }
    case PUBCOMP:
      session.onPubcomp(packetId);
      break;
  }
}
