// `robustmq-cli user delete USERNAME`: removes a user of password authentication.
import { Args } from '@oclif/core';
import { AdminCommand } from '../../lib/cli/admin-command.js';

export default class UserDelete extends AdminCommand<typeof UserDelete> {
  static override summary = 'Delete a user.';
  static override description =
    'Clients connected with that username stay connected. There is no prompt: scripts run it as it is.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> alice',
    '<%= config.bin %> <%= command.id %> alice --json',
  ];
  static override args = { username: Args.string({ description: 'Username.', required: true }) };

  async run(): Promise<void> {
    const { args } = await this.parse(UserDelete);
    await this.adminApi().deleteUser(args.username);
    this.output({ deleted: args.username }, () => `deleted user ${args.username}`);
  }
}
