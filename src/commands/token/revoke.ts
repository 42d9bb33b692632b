// `robustmq-cli token revoke ID`: the token is refused from its next call on.
import { Args } from '@oclif/core';
import { AdminCommand } from '../../lib/cli/admin-command.js';

export default class TokenRevoke extends AdminCommand<typeof TokenRevoke> {
  static override summary = 'Revoke an admin token: its next call is refused.';
  static override description =
    'The id is the one `token list` shows (the part after rmq_ in the token). There is no prompt: scripts run it as it is.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> 3f9a1c0d2b4e6a81',
    '<%= config.bin %> <%= command.id %> 3f9a1c0d2b4e6a81 --json',
  ];
  static override args = { id: Args.string({ description: 'Token id.', required: true }) };

  async run(): Promise<void> {
    const { args } = await this.parse(TokenRevoke);
    await this.adminApi().revokeToken(args.id);
    this.output({ revoked: args.id }, () => `revoked token ${args.id}`);
  }
}
