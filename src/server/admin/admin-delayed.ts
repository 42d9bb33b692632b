// The admin API's delayed messages over the broker's DelayedPublish: list the held ones in due-time
// order (paged through their sorted ids, optionally those whose destination topic contains a text),
// get one with its payload and v5 properties, cancel one (memory and storage; durable on return).
import type { DelayedFilter, DelayedInfo, DelayedMessage, Page } from '../../lib/admin-api.js';
import { RobustMQError } from '../../lib/errors.js';
import type { Broker } from '../broker.js';
import type { DelayedEntry } from '../features/delayed-record.js';
import { messageBody } from './admin-message-body.js';
import { countMatching, decodePageToken, encodePageToken, pageSize, readPage } from './key-paging.js';

export class AdminDelayed {
  constructor(private readonly broker: Broker) {}

  listDelayed(filter: DelayedFilter = {}): Page<DelayedInfo> {
    const limit = pageSize(filter.limit);
    const after = filter.pageToken ? decodePageToken(filter.pageToken) : undefined;
    const delayed = this.broker.delayed;
    const text = filter.topic || undefined;
    const pick = (id: string): DelayedInfo | undefined => {
      const e = delayed.get(id);
      if (!e || (text !== undefined && !e.message.topic.includes(text))) return undefined;
      return delayedInfo(e);
    };
    const page = readPage(
      (visit) => delayed.ids.scan(visit, after),
      limit,
      pick,
      (info) => info.id,
    );
    const total =
      text === undefined
        ? delayed.size
        : countMatching(
            (visit) => delayed.ids.scan(visit),
            (id) => delayed.get(id)?.message.topic.includes(text) === true,
          );
    return { items: page.items, nextPageToken: page.lastKey ? encodePageToken(page.lastKey) : '', total };
  }

  getDelayed(id: string): DelayedMessage {
    const e = this.broker.delayed.get(id);
    if (!e) throw notFound(id);
    const m = e.message;
    return { ...delayedInfo(e), ...messageBody(m) };
  }

  /** Cancels it: never published; durable when it resolves. */
  async deleteDelayed(id: string): Promise<void> {
    if (!this.broker.delayed.cancel(id)) throw notFound(id);
    await this.broker.storage.flush();
  }
}

function notFound(id: string): RobustMQError {
  return new RobustMQError('RMQ_ERR_DELAYED_NOT_FOUND', `no delayed message "${id}" is held`);
}

function delayedInfo(e: DelayedEntry): DelayedInfo {
  const m = e.message;
  return {
    id: e.id,
    topic: m.topic,
    qos: m.qos,
    retain: m.retain,
    payloadBytes: m.payload.length,
    publishedAtMs: m.timestamp,
    dueAtMs: e.dueAt,
    expiresAtMs: m.expiresAt ?? 0,
    origin: m.origin,
  };
}
