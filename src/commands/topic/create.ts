// `robustmq-cli topic create`: a topic whose messages are kept in a log of partitions.
import { Flags } from '@oclif/core';
import { AdminCommand } from '../../lib/cli/admin-command.js';
import type { RobustMQError } from '../../lib/errors.js';
import { parseDuration } from '../../lib/cli/duration.js';
import { renderTopic } from '../../lib/cli/render-topic.js';

export default class TopicCreate extends AdminCommand<typeof TopicCreate> {
  static override summary = 'Create a topic with a message log (partitions, retention).';
  static override description =
    "Messages published to the topic from now on are appended to its log, where `message read` and subscriptions that ask for history find them. Unset options take the broker's defaults (topics.default_partitions, topics.default_retention_ms, topics.default_retention_bytes).";
  static override examples = [
    '<%= config.bin %> <%= command.id %> --name orders',
    '<%= config.bin %> <%= command.id %> --name sensors/temperature --partitions 4 --retention 7d',
    '<%= config.bin %> <%= command.id %> --name audit --retention 0 --retention-bytes 1073741824 --json',
  ];

  static override flags = {
    name: Flags.string({ summary: 'Topic name (a topic, no wildcards, not starting with $).', required: true }),
    partitions: Flags.integer({ summary: 'Partitions of the log (1-1024).', min: 1, max: 1024 }),
    retention: Flags.string({ summary: 'Keep log entries this long: 7d, 12h, 30m, 45s, 500ms; 0 = no age limit.' }),
    'retention-bytes': Flags.integer({ summary: 'Payload bytes kept per partition; 0 = no size limit.', min: 0 }),
  };

  async run(): Promise<void> {
    const f = this.flags;
    let retentionMs: number | undefined;
    try {
      retentionMs = f.retention === undefined ? undefined : parseDuration(f.retention, '--retention');
    } catch (err) {
      return this.usageError(err as RobustMQError);
    }
    const topic = await this.adminApi().createTopic({
      name: f.name,
      partitions: f.partitions,
      retentionMs,
      retentionBytes: f['retention-bytes'],
    });
    this.output(topic, () => `created\n${renderTopic(topic, this.color)}`);
  }
}
