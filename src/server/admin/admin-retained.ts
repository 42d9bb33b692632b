// The admin API's retained messages over the Broker's RetainedIndex: list in topic order (paged
// through its sorted topic index; a topic filter starts at its literal prefix and stops past it),
// get one with its payload and v5 properties, delete one (Broker.removeRetained: index and storage).
import type { Page, RetainedFilter, RetainedInfo, RetainedMessage } from '../../lib/admin-api.js';
import { RobustMQError } from '../../lib/errors.js';
import { topicMatches, validateTopicFilter } from '../../lib/topic.js';
import type { Broker } from '../broker.js';
import type { Message } from '../message.js';
import { messageBody } from './admin-message-body.js';
import { countMatching, decodePageToken, encodePageToken, pageSize, readPage } from './key-paging.js';

export class AdminRetained {
  constructor(private readonly broker: Broker) {}

  listRetained(filter: RetainedFilter = {}): Page<RetainedInfo> {
    const limit = pageSize(filter.limit);
    const after = filter.pageToken ? decodePageToken(filter.pageToken) : undefined;
    const retained = this.broker.retained;
    const topicFilter = filter.topic || undefined;
    if (topicFilter !== undefined) {
      const check = validateTopicFilter(topicFilter);
      if (!check.ok) {
        throw new RobustMQError(
          'RMQ_ERR_INVALID_ARGUMENT',
          `topic filter "${topicFilter}" is not valid: ${check.reason}`,
        );
      }
    }
    // every topic a filter matches begins with the levels before its first wildcard
    const prefix = topicFilter === undefined ? '' : literalPrefix(topicFilter);
    const inRange = (topic: string): boolean => topic.startsWith(prefix);
    const matches = (topic: string): boolean => topicFilter === undefined || topicMatches(topicFilter, topic);
    // from the token (or the prefix) on, and only while topics still begin with the prefix
    const from = after !== undefined && after >= prefix ? after : prefix;
    const inclusive = from !== after;
    const inRangeScan =
      (start: string, startInclusive: boolean) =>
      (visit: (topic: string) => boolean | void): void =>
        retained.topics.scan((topic) => inRange(topic) && visit(topic) !== false, start, startInclusive);
    const page = readPage(
      inRangeScan(from, inclusive),
      limit,
      (topic) => {
        if (!matches(topic)) return undefined;
        const m = retained.get(topic);
        return m && retainedInfo(m);
      },
      (info) => info.topic,
    );
    const total = topicFilter === undefined ? retained.size : countMatching(inRangeScan(prefix, true), matches);
    return { items: page.items, nextPageToken: page.lastKey ? encodePageToken(page.lastKey) : '', total };
  }

  getRetained(topic: string): RetainedMessage {
    const m = this.broker.retained.get(topic);
    if (!m) throw notFound(topic);
    return { ...retainedInfo(m), ...messageBody(m) };
  }

  /** As an empty retained PUBLISH would, without sending anything to subscribers; durable when it resolves. */
  async deleteRetained(topic: string): Promise<void> {
    if (!this.broker.removeRetained(topic)) throw notFound(topic);
    this.broker.log.info({ topic }, 'retained message deleted by an administrator');
    await this.broker.storage.flush();
  }
}

function notFound(topic: string): RobustMQError {
  return new RobustMQError('RMQ_ERR_RETAINED_NOT_FOUND', `no message is retained on topic "${topic}"`);
}

function retainedInfo(m: Message): RetainedInfo {
  return {
    topic: m.topic,
    qos: m.qos,
    payloadBytes: m.payload.length,
    storedAtMs: m.timestamp,
    expiresAtMs: m.expiresAt ?? 0,
    origin: m.origin,
  };
}

/** The filter's levels before its first wildcard, joined ('a/b/#' → 'a/b'; '+/x' → ''). */
export function literalPrefix(filter: string): string {
  const levels = filter.split('/');
  const wild = levels.findIndex((l) => l === '+' || l === '#');
  return wild < 0 ? filter : levels.slice(0, wild).join('/');
}
