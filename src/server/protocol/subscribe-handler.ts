// SUBSCRIBE and UNSUBSCRIBE: filter validation, shared subscriptions, subscription identifiers,
// v5 options (no local, retain as published, retain handling), limits, and SUBACK/UNSUBACK codes.
import type mqtt from 'mqtt-packet';
import { parseSubscriptionFilter } from '../../lib/topic.js';
import type { QoS } from '../message.js';
import { authorize } from '../security/authorizer.js';
import type { Subscription } from '../routing/subscription.js';
import { parseStartFrom, type StartFrom } from '../routing/topic-logs.js';
import type { Connection } from './connection.js';
import { PacketError } from './publish-codec.js';
import { RC } from './reason-codes.js';
import { filterStringsWellFormed } from './utf8-check.js';

export function handleSubscribe(conn: Connection, packet: mqtt.ISubscribePacket, frame: Buffer): void {
  const broker = conn.broker;
  const limits = broker.config.limits;
  const session = conn.session!;
  if (!packet.messageId) throw new PacketError(RC.MALFORMED_PACKET, 'SUBSCRIBE without packet identifier');
  if (packet.subscriptions.length === 0) throw new PacketError(RC.PROTOCOL_ERROR, 'SUBSCRIBE with no filters'); // [MQTT-3.8.3-2]
  if (!filterStringsWellFormed(frame, conn.v5, true)) {
    // [MQTT-1.5.4-1] ill-formed UTF-8, [MQTT-1.5.4-2] U+0000: a malformed packet
    throw new PacketError(RC.MALFORMED_PACKET, 'ill-formed UTF-8 or U+0000 in a topic filter');
  }
  const subscriptionId = packet.properties?.subscriptionIdentifier as number | number[] | undefined;
  if (Array.isArray(subscriptionId)) throw new PacketError(RC.PROTOCOL_ERROR, 'more than one subscription identifier');
  if (subscriptionId === 0) throw new PacketError(RC.PROTOCOL_ERROR, 'subscription identifier 0'); // [MQTT-3.8.2-?]
  // v5 user property `start-from` (earliest | latest | epoch ms | ISO 8601): where topic logs are read from
  let startFrom: StartFrom | undefined;
  try {
    const raw = packet.properties?.userProperties?.['start-from'];
    startFrom = parseStartFrom(Array.isArray(raw) ? raw[0] : raw);
  } catch (err) {
    const suback: mqtt.ISubackPacket = {
      cmd: 'suback',
      messageId: packet.messageId,
      granted: packet.subscriptions.map(() => RC.IMPLEMENTATION_SPECIFIC_ERROR),
    };
    if (conn.requestProblemInformation) suback.properties = { reasonString: (err as Error).message };
    conn.send(suback);
    return;
  }

  const granted: number[] = [];
  // a filter repeated in one SUBSCRIBE: the later one replaces the earlier [MQTT-3.8.4-3]
  const accepted = new Map<string, { sub: Subscription; existed: boolean }>();
  let added = 0;
  const rewrite = broker.features.rewrite;
  const exclusive = broker.features.exclusive;
  for (const req of packet.subscriptions) {
    if (rewrite !== undefined) req.topic = rewrite.subscribeFilter(conn, req.topic);
    const parsed = parseSubscriptionFilter(req.topic, limits.max_topic_levels);
    if (!parsed.ok) {
      // valid without the level limit: a limit hit, counted like the others
      if (limits.max_topic_levels > 0 && parseSubscriptionFilter(req.topic).ok) {
        broker.metrics.limitHit('max_topic_levels');
      }
      conn.debug({ filter: req.topic, reason: parsed.reason }, 'subscription refused');
      granted.push(conn.v5 ? RC.TOPIC_FILTER_INVALID : 0x80);
      continue;
    }
    if (parsed.exclusive && exclusive === undefined) {
      // exclusive.enabled = false: `$exclusive/` is refused rather than taken as a plain filter
      conn.debug({ filter: req.topic }, 'subscription refused: exclusive subscriptions are disabled');
      granted.push(conn.v5 ? RC.TOPIC_FILTER_INVALID : 0x80);
      continue;
    }
    if (parsed.group !== undefined && req.nl) {
      throw new PacketError(RC.PROTOCOL_ERROR, 'No Local on a shared subscription'); // [MQTT-3.8.3-4]
    }
    // the filter without $share/{group}/ or $queue/, at the QoS asked for
    if (!authorize(conn, { action: 'subscribe', topic: parsed.filter, qos: req.qos, retain: false })) {
      broker.metrics.aclDeniedSubscribe++;
      conn.debug({ filter: req.topic, qos: req.qos }, 'subscription not authorized');
      granted.push(conn.v5 ? RC.NOT_AUTHORIZED : 0x80); // 3.1.1: 0x80 Failure, the only one it has
      continue;
    }
    // [MQTT-3.8.4-5] filters of one SUBSCRIBE count as if they came one packet each
    const earlier = accepted.get(req.topic);
    const isNew = !session.subscriptions.has(req.topic) && !earlier;
    if (
      isNew &&
      limits.max_subscriptions_per_client > 0 &&
      session.subscriptions.size + added >= limits.max_subscriptions_per_client
    ) {
      broker.metrics.limitHit('max_subscriptions_per_client');
      conn.log.info({ filter: req.topic, max: limits.max_subscriptions_per_client }, 'subscription limit reached');
      granted.push(conn.v5 ? RC.QUOTA_EXCEEDED : 0x80);
      continue;
    }
    const qos = Math.min(req.qos, limits.max_qos) as QoS;
    const sub: Subscription = {
      clientId: conn.clientId,
      rawFilter: req.topic,
      filter: parsed.filter,
      group: parsed.group,
      qos,
      noLocal: conn.v5 ? !!req.nl : false,
      retainAsPublished: conn.v5 ? !!req.rap : false,
      retainHandling: conn.v5 ? ((req.rh ?? 0) as 0 | 1 | 2) : 0,
      subscriptionId: conn.v5 ? subscriptionId : undefined,
      exclusive: parsed.exclusive,
    };
    if (exclusive !== undefined && !exclusive.claim(conn, sub)) {
      conn.debug({ filter: req.topic }, 'exclusive subscription held by another client');
      granted.push(conn.v5 ? RC.QUOTA_EXCEEDED : 0x80);
      continue;
    }
    accepted.set(req.topic, { sub, existed: earlier ? earlier.existed : !isNew });
    if (isNew) added++;
    granted.push(qos);
  }
  const subs = [...accepted.values()];
  for (const { sub } of subs) broker.subscribe(session, sub);
  const suback: mqtt.ISubackPacket = { cmd: 'suback', messageId: packet.messageId, granted };
  // the SUBACK, then the retained messages of these subscriptions; with several workers, once the
  // others know the new routes (a PUBLISH the client sends after its SUBACK must find them)
  conn.afterRoutes(() => {
    conn.send(suback);
    for (const { sub, existed } of subs) {
      // not for a subscription replaced or removed while the SUBACK waited (worker mode)
      if (session.subscriptions.get(sub.rawFilter) === sub) broker.sendRetained(session, sub, existed);
    }
  });
  broker.sessions.persist(session); // once per packet, not once per filter
  if (startFrom && broker.logs.size > 0) {
    for (const { sub } of accepted.values()) broker.logs.subscribedFrom(session, sub, startFrom);
  }
}

export function handleUnsubscribe(conn: Connection, packet: mqtt.IUnsubscribePacket, frame: Buffer): void {
  const broker = conn.broker;
  const session = conn.session!;
  if (!packet.messageId) throw new PacketError(RC.MALFORMED_PACKET, 'UNSUBSCRIBE without packet identifier');
  if (packet.unsubscriptions.length === 0) throw new PacketError(RC.PROTOCOL_ERROR, 'UNSUBSCRIBE with no filters'); // [MQTT-3.10.3-2]
  if (!filterStringsWellFormed(frame, conn.v5, false)) {
    throw new PacketError(RC.MALFORMED_PACKET, 'ill-formed UTF-8 or U+0000 in a topic filter');
  }
  const codes: number[] = [];
  const rewrite = broker.features.rewrite;
  for (let raw of packet.unsubscriptions) {
    if (rewrite !== undefined) raw = rewrite.subscribeFilter(conn, raw);
    const parsed = parseSubscriptionFilter(raw);
    if (!parsed.ok) {
      codes.push(RC.TOPIC_FILTER_INVALID);
      continue;
    }
    codes.push(broker.unsubscribe(session, raw) ? RC.SUCCESS : RC.NO_SUBSCRIPTION_EXISTED);
  }
  const unsuback = { cmd: 'unsuback', messageId: packet.messageId } as mqtt.IUnsubackPacket;
  if (conn.v5) unsuback.granted = codes;
  conn.send(unsuback);
}
