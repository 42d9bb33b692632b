// ReadMessages of the admin API: one page of a created topic's log, read from storage, from an offset
// or from a time, with the offset to read from next. AdminService delegates here.
import type { MessagePage, ReadMessagesRequest, TopicMessage } from '../../lib/admin-api.js';
import { RobustMQError } from '../../lib/errors.js';
import { payloadAsText } from '../../lib/payload-text.js';
import type { Broker } from '../broker.js';
import type { LogEntry } from '../storage/storage-adapter.js';
import { pageSize } from './key-paging.js';

export async function readMessages(broker: Broker, request: ReadMessagesRequest): Promise<MessagePage> {
  const { topic } = request;
  const partition = request.partition ?? 0;
  const limit = pageSize(request.limit);
  const bounds = broker.logs.bounds(topic); // RMQ_ERR_TOPIC_NOT_FOUND
  const p = bounds[partition];
  if (!Number.isInteger(partition) || !p) {
    throw new RobustMQError(
      'RMQ_ERR_INVALID_ARGUMENT',
      `partition must be from 0 to ${bounds.length - 1}: topic "${topic}" has ${bounds.length}`,
    );
  }
  const offset = request.offset ?? 0;
  const fromTimeMs = request.fromTimeMs ?? 0;
  if (offset !== 0 && fromTimeMs !== 0) {
    throw new RobustMQError('RMQ_ERR_INVALID_ARGUMENT', 'give an offset or a time to read from, not both');
  }
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(fromTimeMs) || fromTimeMs < 0) {
    throw new RobustMQError('RMQ_ERR_INVALID_ARGUMENT', 'offset and time must be whole numbers >= 0');
  }
  if (offset > p.next) {
    throw new RobustMQError(
      'RMQ_ERR_INVALID_ARGUMENT',
      `offset ${offset} is past the end of partition ${partition} of "${topic}" (the next message gets offset ${p.next})`,
    );
  }
  const from = fromTimeMs !== 0 ? await broker.storage.offsetForTimestamp(topic, partition, fromTimeMs) : offset;
  const entries = await broker.logs.read(topic, partition, from, limit);
  const now = broker.logs.bounds(topic)[partition]!; // appends and retention may have moved them meanwhile
  const last = entries[entries.length - 1];
  return {
    topic,
    partition,
    messages: entries.map(topicMessage),
    nextOffset: last ? last.offset + 1 : Math.min(Math.max(from, now.first), now.next),
    firstOffset: now.first,
    endOffset: now.next,
  };
}

function topicMessage(e: LogEntry): TopicMessage {
  const m = e.message;
  const props = m.properties;
  return {
    partition: e.partition,
    offset: e.offset,
    timestampMs: m.timestamp,
    qos: m.qos,
    retain: m.retain,
    clientId: m.origin,
    ...payloadAsText(m.payload),
    payloadBytes: m.payload.length,
    properties: {
      payloadFormatIndicator: props?.payloadFormatIndicator ?? 0,
      contentType: props?.contentType ?? '',
      responseTopic: props?.responseTopic ?? '',
      correlationData: props?.correlationData?.toString('base64') ?? '',
      expiresAtMs: m.expiresAt ?? 0,
      userProperties: (props?.userProperties ?? []).map(([key, value]) => ({ key, value })),
    },
  };
}
