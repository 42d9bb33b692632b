// `robustmq-cli user passwd USERNAME`: replaces a user's password (the broker keeps a new scrypt hash).
import { Args } from '@oclif/core';
import { AdminCommand } from '../../lib/cli/admin-command.js';
import { passwordFlags, readPassword } from '../../lib/cli/password-input.js';
import type { RobustMQError } from '../../lib/errors.js';
import { checkPassword } from '../../lib/security-rules.js';

export default class UserPasswd extends AdminCommand<typeof UserPasswd> {
  static override summary = "Replace a user's password.";
  static override description =
    'The password: non-empty UTF-8, at most 65535 bytes. Without --password or --password-stdin it is asked for on the terminal (not echoed); when stdin is not a terminal the command refuses (exit 2).';
  static override examples = [
    'printf \'%s\' "$NEW_PASSWORD" | <%= config.bin %> <%= command.id %> alice --password-stdin',
    '<%= config.bin %> <%= command.id %> alice',
  ];
  static override args = { username: Args.string({ description: 'Username.', required: true }) };
  static override flags = { ...passwordFlags };

  async run(): Promise<void> {
    const { args } = await this.parse(UserPasswd);
    let password: string;
    try {
      password = await readPassword(this.flags);
      checkPassword(password);
    } catch (err) {
      return this.usageError(err as RobustMQError);
    }
    await this.adminApi().setUserPassword(args.username, password);
    this.output({ username: args.username, passwordChanged: true }, () => `changed the password of ${args.username}`);
  }
}
