// How a held delayed message is named and stored: its id (the due time, zero-padded, then a
// sequence number, so ids sort by due time), and the JSON of its feature record (kind 'delayed')
// with the payload and correlation data in base64. The message keeps its original timestamp, so its
// Message Expiry Interval counts from publication across a restart.
import type { Message } from '../message.js';
import { messageFromJson, messageToJson, type MessageJson } from '../storage/record-codec.js';

/** The feature-record kind of held delayed messages. */
export const DELAYED_KIND = 'delayed';

export interface DelayedEntry {
  /** `{dueAt, 13 digits}-{sequence, 6 digits}`, e.g. 1767225600000-000042. */
  readonly id: string;
  /** When it is published, ms since the epoch. */
  readonly dueAt: number;
  /** The message as it will be published (destination topic, original timestamp and expiry). */
  readonly message: Message;
}

export const SEQUENCE_DIGITS = 6;

export function delayedId(dueAt: number, sequence: number): string {
  return `${String(dueAt).padStart(13, '0')}-${String(sequence).padStart(SEQUENCE_DIGITS, '0')}`;
}

/** The sequence part of an id (NaN when it is not one of ours). */
export function sequenceOf(id: string): number {
  return Number(id.slice(id.indexOf('-') + 1));
}

interface DelayedJson {
  dueAt: number;
  /** The message, with its original timestamp and expiry. */
  message: MessageJson;
}

export function encodeDelayed(e: DelayedEntry): string {
  const json: DelayedJson = { dueAt: e.dueAt, message: messageToJson(e.message) };
  return JSON.stringify(json);
}

/** The entry of a stored record; throws on a record that is not valid JSON of this shape. */
export function decodeDelayed(id: string, value: string): DelayedEntry {
  const j = JSON.parse(value) as DelayedJson | null;
  if (typeof j?.dueAt !== 'number') throw new Error('not a delayed message record');
  return { id, dueAt: j.dueAt, message: messageFromJson(j.message) };
}
