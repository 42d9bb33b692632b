// `robustmq-cli topic describe NAME`: a topic's settings and the offsets of each partition.
import { Args } from '@oclif/core';
import { AdminCommand } from '../../lib/cli/admin-command.js';
import { renderTopic } from '../../lib/cli/render-topic.js';

export default class TopicDescribe extends AdminCommand<typeof TopicDescribe> {
  static override summary = "Show a topic's settings and each partition's offsets.";
  static override examples = [
    '<%= config.bin %> <%= command.id %> orders',
    '<%= config.bin %> <%= command.id %> orders --json',
  ];
  static override args = { name: Args.string({ description: 'Topic name.', required: true }) };

  async run(): Promise<void> {
    const { args } = await this.parse(TopicDescribe);
    const topic = await this.adminApi().describeTopic(args.name);
    this.output(topic, () => renderTopic(topic, this.color));
  }
}
