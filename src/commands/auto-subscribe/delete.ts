// `robustmq-cli auto-subscribe delete ID|TOPIC`: removes a runtime rule (clients already subscribed keep their subscription).
import { Args } from '@oclif/core';
import { AdminCommand } from '../../lib/cli/admin-command.js';

export default class AutoSubscribeDelete extends AdminCommand<typeof AutoSubscribeDelete> {
  static override summary = 'Delete a runtime auto-subscribe rule by its id or its topic.';
  static override description =
    'Clients connecting from now on no longer get the subscription; sessions that have it keep it. A rule of the configuration file cannot be deleted here (RMQ_ERR_CONFIG_DEFINED): remove it from [[auto_subscribe.rules]] and restart.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> as-0mbq2x1k3a1b2c3',
    "<%= config.bin %> <%= command.id %> 'devices/${clientid}/commands' --json",
  ];
  static override args = {
    rule: Args.string({ description: 'The rule id (auto-subscribe list shows it) or its topic.', required: true }),
  };

  async run(): Promise<void> {
    const { args } = await this.parse(AutoSubscribeDelete);
    await this.adminApi().deleteAutoSubscribe(args.rule);
    this.output({ deleted: args.rule }, () => `deleted auto-subscribe rule ${args.rule}`);
  }
}
