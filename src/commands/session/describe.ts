// `robustmq-cli session describe CLIENT_ID`: one session, its subscriptions and its queue figures.
import { Args } from '@oclif/core';
import { AdminCommand } from '../../lib/cli/admin-command.js';
import { renderSession } from '../../lib/cli/render-session.js';

export default class SessionDescribe extends AdminCommand<typeof SessionDescribe> {
  static override summary = 'Show one session, connected or not: expiry, subscriptions, queued and in-flight messages.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> sensor-42',
    '<%= config.bin %> <%= command.id %> sensor-42 --json',
  ];
  static override args = { 'client-id': Args.string({ description: 'Client identifier.', required: true }) };

  async run(): Promise<void> {
    const { args } = await this.parse(SessionDescribe);
    const d = await this.adminApi().describeSession(args['client-id']);
    this.output(d, () => renderSession(d, this.color));
  }
}
