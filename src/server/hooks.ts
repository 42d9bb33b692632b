// The typed hook bus: features, metrics, bridges and audit attach here instead of into the core.
import type { ConfigValue } from '../lib/admin-api.js';
import type { Message } from './message.js';
import type { Connection } from './protocol/connection.js';
import type { Subscription } from './routing/subscription.js';
import type { Delivery } from './session/delivery.js';
import type { DropReason, Session } from './session/session.js';

export interface HookEvents {
  'client.connected': [conn: Connection];
  'client.disconnected': [conn: Connection];
  'message.publish': [message: Message];
  'message.delivered': [session: Session, delivery: Delivery];
  'message.acked': [session: Session, delivery: Delivery];
  'message.dropped': [session: Session, delivery: Delivery, reason: DropReason];
  'session.created': [session: Session];
  'session.resumed': [session: Session];
  'session.subscribed': [session: Session, subscription: Subscription];
  'session.unsubscribed': [session: Session, rawFilter: string];
  'session.terminated': [session: Session, reason: 'expired' | 'clean' | 'takeover' | 'deleted'];
  /** A runtime configuration change (`config set`), once applied to broker.config. */
  'config.changed': [key: string, value: ConfigValue];
  /** The storage engine failed a write (a group commit, or its writer died): sticky until restart. */
  'storage.failed': [err: Error];
}

type Handler<K extends keyof HookEvents> = (...args: HookEvents[K]) => void;

export class Hooks {
  private readonly handlers = new Map<keyof HookEvents, Array<Handler<keyof HookEvents>>>();

  on<K extends keyof HookEvents>(name: K, fn: Handler<K>): () => void {
    const list = this.handlers.get(name) ?? [];
    list.push(fn as unknown as Handler<keyof HookEvents>);
    this.handlers.set(name, list);
    return () => {
      const l = this.handlers.get(name);
      if (l)
        this.handlers.set(
          name,
          l.filter((h) => h !== (fn as unknown)),
        );
    };
  }

  has(name: keyof HookEvents): boolean {
    return (this.handlers.get(name)?.length ?? 0) > 0;
  }

  emit<K extends keyof HookEvents>(name: K, ...args: HookEvents[K]): void {
    const list = this.handlers.get(name);
    if (!list) return;
    for (const fn of list) (fn as unknown as Handler<K>)(...args);
  }
}
