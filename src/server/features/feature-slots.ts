// The places where the broker's features (issue 7) step into the PUBLISH and SUBSCRIBE paths. Each
// slot is empty until its feature module attaches (src/server/features/*), so a broker without a
// feature pays one `undefined` check. Order on a PUBLISH: topic rewrite, then `$delayed/` parsing
// (and the rewrite of its destination), then ACL (on the destination topic), then schema validation, then delayed hold or routing. On a
// SUBSCRIBE: topic rewrite, then ACL, then the exclusive claim.
import type { Message } from '../message.js';
import type { Connection } from '../protocol/connection.js';
import type { Subscription } from '../routing/subscription.js';

/** Topic rewrite rules (action publish / subscribe / all). */
export interface TopicRewriteSlot {
  /** The topic a PUBLISH (or a will) from this connection is authorized and routed under. */
  publishTopic(conn: Connection, topic: string): string;
  /** The filter a SUBSCRIBE / UNSUBSCRIBE filter of this connection becomes (before $share/ parsing). */
  subscribeFilter(conn: Connection, filter: string): string;
}

/** `$delayed/{seconds}/{topic}`. */
export interface DelayedPublishSlot {
  /**
   * For a topic starting with `$delayed/`: the delay and the destination, or why it is refused;
   * undefined while the feature is off (delayed.enabled = false): then it is an ordinary topic.
   */
  parse(topic: string): { delaySeconds: number; topic: string } | { error: string } | undefined;
  /** Holds an authorized, valid message; returns the reason code for the PUBACK/PUBREC (0 or a refusal). */
  hold(conn: Connection, message: Message, delaySeconds: number): number;
}

/** Schema validation of payloads bound to topic filters. */
export type SchemaVerdict = 'ok' | 'reject' | 'drop' | 'disconnect';
export interface SchemaValidationSlot {
  /** Whether the payload of a PUBLISH to `topic` is valid; what to do with it when it is not. */
  check(conn: Connection, topic: string, payload: Buffer): SchemaVerdict;
}

/** `$exclusive/{filter}` subscriptions. */
export interface ExclusiveSubscriptionSlot {
  /** The subscription may be made (this client holds, or now takes, the filter); false = refused. */
  claim(conn: Connection, sub: Subscription): boolean;
}

export class FeatureSlots {
  rewrite?: TopicRewriteSlot;
  delayed?: DelayedPublishSlot;
  schema?: SchemaValidationSlot;
  exclusive?: ExclusiveSubscriptionSlot;
}
