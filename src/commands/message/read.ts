// `robustmq-cli message read`: one page of a created topic's log, over the admin API (ReadMessages),
// from an offset or a time, with the offset to read the next page from.
import { Flags } from '@oclif/core';
import { MAX_PAGE_SIZE } from '../../lib/admin-api.js';
import { AdminCommand } from '../../lib/cli/admin-command.js';
import { renderMessagePage } from '../../lib/cli/render-message.js';
import { RobustMQError } from '../../lib/errors.js';

/** --from-time: an ISO 8601 date or milliseconds since the epoch. */
function parseTime(text: string): number {
  const ms = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isSafeInteger(ms) || ms <= 0) {
    throw new RobustMQError(
      'RMQ_ERR_INVALID_ARGUMENT',
      `--from-time must be an ISO 8601 date (2026-11-24T10:00:00Z) or milliseconds since the epoch; got "${text}"`,
    );
  }
  return ms;
}

export default class MessageRead extends AdminCommand<typeof MessageRead> {
  static override summary = "Read messages from a topic's log (topics made with `topic create`).";
  static override description =
    "Reads one partition from an offset (default: the oldest kept) or from a time, at most --limit messages, and prints where to go on: the next page is --offset with the printed next offset. Payloads that are not UTF-8 are shown in base64 (payloadEncoding says which). Reading does not move any subscriber's position. Exit 1 with RMQ_ERR_TOPIC_NOT_FOUND when the topic has not been created.";
  static override examples = [
    '<%= config.bin %> <%= command.id %> --topic orders',
    '<%= config.bin %> <%= command.id %> --topic orders --partition 2 --offset 100 --limit 50',
    '<%= config.bin %> <%= command.id %> --topic orders --from-time 2026-11-24T10:00:00Z --json',
  ];

  static override flags = {
    topic: Flags.string({ char: 't', summary: 'Topic name (a created topic).', required: true }),
    partition: Flags.integer({ summary: 'Partition to read.', default: 0, min: 0 }),
    offset: Flags.integer({
      summary: 'First offset to read (default 0: the oldest kept).',
      min: 0,
      exclusive: ['from-time'],
    }),
    'from-time': Flags.string({
      summary: 'Read from the first message received at or after this time: ISO 8601 or ms since the epoch.',
    }),
    limit: Flags.integer({
      summary: `Messages at most (1-${MAX_PAGE_SIZE}).`,
      default: 100,
      min: 1,
      max: MAX_PAGE_SIZE,
    }),
  };

  async run(): Promise<void> {
    const f = this.flags;
    let fromTimeMs: number | undefined;
    try {
      fromTimeMs = f['from-time'] === undefined ? undefined : parseTime(f['from-time']);
    } catch (err) {
      return this.usageError(err as RobustMQError);
    }
    const page = await this.adminApi().readMessages({
      topic: f.topic,
      partition: f.partition,
      offset: f.offset,
      fromTimeMs,
      limit: f.limit,
    });
    this.output(page, () => renderMessagePage(page, this.color));
  }
}
