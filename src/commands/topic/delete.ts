// `robustmq-cli topic delete NAME`: removes the topic, its log and every session's position in it.
import { Args } from '@oclif/core';
import { AdminCommand } from '../../lib/cli/admin-command.js';

export default class TopicDelete extends AdminCommand<typeof TopicDelete> {
  static override summary = 'Delete a topic and its log (messages already delivered are not affected).';
  static override description =
    'Publishing to the name afterwards still works: the messages are routed to subscribers but no longer logged. There is no prompt: scripts run it as it is.';
  static override examples = ['<%= config.bin %> <%= command.id %> orders'];
  static override args = { name: Args.string({ description: 'Topic name.', required: true }) };

  async run(): Promise<void> {
    const { args } = await this.parse(TopicDelete);
    await this.adminApi().deleteTopic(args.name);
    this.output({ deleted: args.name }, () => `deleted topic ${args.name}`);
  }
}
