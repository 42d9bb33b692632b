// `robustmq-cli topic-rewrite delete`: removes a runtime topic rewrite rule by id.
import { Args } from '@oclif/core';
import { AdminCommand } from '../../lib/cli/admin-command.js';

export default class TopicRewriteDelete extends AdminCommand<typeof TopicRewriteDelete> {
  static override summary = 'Delete a runtime topic rewrite rule (the id topic-rewrite list shows).';
  static override description =
    'Rules of the configuration file (ids config-N) are not deleted here: change the file and restart.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> 3f2a91bc',
    '<%= config.bin %> <%= command.id %> 3f2a91bc --json',
  ];
  static override args = { id: Args.string({ description: 'The rule id.', required: true }) };

  async run(): Promise<void> {
    const { args } = await this.parse(TopicRewriteDelete);
    await this.adminApi().deleteTopicRewrite(args.id);
    this.output({ deleted: args.id }, () => `deleted topic rewrite rule ${args.id}`);
  }
}
