// How the SQL engines (sqlite, postgres) put a Message's properties and a session's will into text
// columns and read them back, and the check that keeps a bad enum value out of a group commit.
import { RobustMQError } from '../../lib/errors.js';
import type { Message, MessageProperties, QoS } from '../message.js';
import type { AclRecord, StoredWill, UserScramCredentials } from './storage-adapter.js';

/** The columns a Message is stored in; `retain` is 0/1 in sqlite and a boolean in postgres. */
export interface StoredMessageRow {
  topic: string;
  payload: Buffer;
  qos: number;
  retain: number | boolean;
  properties: string | null;
  origin: string;
  timestamp: number;
  expires_at: number | null;
}

/** MessageProperties as JSON: correlationData as base64, user properties as an ordered array of pairs. */
export function encodeProperties(p: MessageProperties | undefined): string | null {
  if (p === undefined) return null;
  const { correlationData, ...rest } = p;
  return JSON.stringify(
    correlationData === undefined ? rest : { ...rest, correlationData: correlationData.toString('base64') },
  );
}

export function decodeProperties(json: string | null): MessageProperties | undefined {
  if (json === null) return undefined;
  const p = JSON.parse(json) as Omit<MessageProperties, 'correlationData'> & { correlationData?: string };
  const { correlationData, ...rest } = p;
  return correlationData === undefined ? rest : { ...rest, correlationData: Buffer.from(correlationData, 'base64') };
}

export function rowToMessage(r: StoredMessageRow): Message {
  // the same fields in the same order as createMessage(), so stored and live messages share a shape
  return {
    topic: r.topic,
    payload: r.payload,
    qos: r.qos as QoS,
    retain: r.retain === true || r.retain === 1,
    properties: decodeProperties(r.properties),
    origin: r.origin,
    timestamp: r.timestamp,
    expiresAt: r.expires_at ?? undefined,
    log: undefined,
  };
}

/** A message as JSON, payload (and correlationData) as base64: inside a will, a held delayed message. */
export type MessageJson = Omit<StoredMessageRow, 'payload' | 'retain'> & { payload: string; retain: boolean };

export function messageToJson(m: Message): MessageJson {
  return {
    topic: m.topic,
    payload: m.payload.toString('base64'),
    qos: m.qos,
    retain: m.retain,
    properties: encodeProperties(m.properties),
    origin: m.origin,
    timestamp: m.timestamp,
    expires_at: m.expiresAt ?? null,
  };
}

/** The message of messageToJson(); throws on a value that is not one. */
export function messageFromJson(j: MessageJson): Message {
  if (typeof j?.topic !== 'string' || typeof j.payload !== 'string' || typeof j.timestamp !== 'number') {
    throw new Error('not a stored message');
  }
  return rowToMessage({ ...j, payload: Buffer.from(j.payload, 'base64') });
}

/** The will as JSON (its message with the payload and correlationData as base64). */
interface WillJson {
  delay: number;
  message: MessageJson;
}

export function encodeWill(w: StoredWill | undefined): string | null {
  if (w === undefined) return null;
  const json: WillJson = { delay: w.delay, message: messageToJson(w.message) };
  return JSON.stringify(json);
}

export function decodeWill(json: string | null): StoredWill | undefined {
  if (json === null) return undefined;
  const w = JSON.parse(json) as WillJson;
  return { delay: w.delay, message: messageFromJson(w.message) };
}

/**
 * Refuses, when it is issued, a value that a CHECK constraint of the security tables would refuse: in
 * the batch it would fail the whole commit (and every later write with it, failures being sticky).
 */
export function checkOneOf(field: string, value: string, allowed: readonly string[]): void {
  if (!allowed.includes(value)) {
    throw new RobustMQError(
      'RMQ_ERR_INVALID_ARGUMENT',
      `${field} must be one of ${allowed.join(', ')}; got ${JSON.stringify(value)}`,
    );
  }
}

/** An acl_rules row, as both SQL engines return it. */
export interface AclRow {
  id: string;
  principal_kind: AclRecord['principalKind'];
  principal: string;
  filter: string;
  action: AclRecord['action'];
  permission: AclRecord['permission'];
  /** `0,1`: the QoS condition; NULL = any QoS. */
  qos: string | null;
  /** 0/1 (sqlite) or a boolean (postgres); NULL = any. */
  retain: number | boolean | null;
  created_at: number;
}

export function rowToAcl(r: AclRow): AclRecord {
  const rule: AclRecord = {
    id: r.id,
    principalKind: r.principal_kind,
    principal: r.principal,
    filter: r.filter,
    action: r.action,
    permission: r.permission,
    createdAt: r.created_at,
  };
  if (r.qos !== null && r.qos !== undefined) rule.qos = aclQosFromText(r.qos);
  if (r.retain !== null && r.retain !== undefined) rule.retain = r.retain === true || r.retain === 1;
  return rule;
}

/** An ACL rule's QoS condition as stored: `0,1`; null = any QoS. */
export function aclQosText(qos: AclRecord['qos']): string | null {
  return qos === undefined ? null : qos.join(',');
}

function aclQosFromText(text: string): QoS[] {
  return text === '' ? [] : (text.split(',').map(Number) as QoS[]);
}

/** A user's SCRAM credentials as JSON text (the users.scram column); null when it has none. */
export function encodeScram(scram: UserScramCredentials | undefined): string | null {
  return scram === undefined ? null : JSON.stringify(scram);
}

export function decodeScram(json: string | null | undefined): UserScramCredentials | undefined {
  if (json === null || json === undefined) return undefined;
  return JSON.parse(json) as UserScramCredentials;
}
