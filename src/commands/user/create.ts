// `robustmq-cli user create USERNAME`: a user of password authentication (the broker keeps a scrypt hash).
import { Args, Flags } from '@oclif/core';
import { AdminCommand } from '../../lib/cli/admin-command.js';
import { passwordFlags, readPassword } from '../../lib/cli/password-input.js';
import { renderRecord } from '../../lib/cli/render.js';
import type { RobustMQError } from '../../lib/errors.js';
import { checkPassword, checkUsername } from '../../lib/security-rules.js';

export default class UserCreate extends AdminCommand<typeof UserCreate> {
  static override summary = 'Create a user of password authentication.';
  static override description =
    'The broker stores a scrypt hash of the password, never the password. Username and password: non-empty UTF-8, at most 65535 bytes (the MQTT limits); the username must not hold U+0000. Without --password or --password-stdin the password is asked for on the terminal (not echoed); when stdin is not a terminal the command refuses (exit 2). Checking passwords at CONNECT comes with the authentication feature: today users are stored only.';
  static override examples = [
    'printf \'%s\' "$PASSWORD" | <%= config.bin %> <%= command.id %> alice --password-stdin',
    '<%= config.bin %> <%= command.id %> admin --superuser',
    '<%= config.bin %> <%= command.id %> sensor-7 --password s3cret --json',
  ];
  static override args = { username: Args.string({ description: 'Username.', required: true }) };
  static override flags = {
    ...passwordFlags,
    superuser: Flags.boolean({ summary: 'A superuser (ACL rules will not restrict it).' }),
  };

  async run(): Promise<void> {
    const { args } = await this.parse(UserCreate);
    let password: string;
    try {
      checkUsername(args.username);
      password = await readPassword(this.flags);
      checkPassword(password);
    } catch (err) {
      return this.usageError(err as RobustMQError);
    }
    const user = await this.adminApi().createUser({
      username: args.username,
      password,
      superuser: this.flags.superuser,
    });
    this.output(
      user,
      () =>
        `created user ${user.username}\n${renderRecord(
          [
            ['username', user.username],
            ['superuser', user.superuser ? 'yes' : 'no'],
            ['created at', new Date(user.createdAtMs).toISOString()],
          ],
          this.color,
        )}`,
    );
  }
}
