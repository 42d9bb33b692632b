// `robustmq-cli acl remove ID`: removes one ACL rule by the id `acl add` and `acl list` print.
import { Args } from '@oclif/core';
import { AdminCommand } from '../../lib/cli/admin-command.js';

export default class AclRemove extends AdminCommand<typeof AclRemove> {
  static override summary = 'Remove an ACL rule by its id.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> 3f9a1c02',
    '<%= config.bin %> <%= command.id %> 3f9a1c02 --json',
  ];
  static override args = { id: Args.string({ description: 'Rule id (acl list shows it).', required: true }) };

  async run(): Promise<void> {
    const { args } = await this.parse(AclRemove);
    await this.adminApi().deleteAcl(args.id);
    this.output({ removed: args.id }, () => `removed ACL rule ${args.id}`);
  }
}
