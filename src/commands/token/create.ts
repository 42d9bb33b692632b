// `robustmq-cli token create`: a new admin token, printed this once (the broker keeps only its hash).
import { Flags } from '@oclif/core';
import { AdminCommand } from '../../lib/cli/admin-command.js';
import { parseDuration } from '../../lib/cli/duration.js';
import { renderRecord } from '../../lib/cli/render.js';
import type { RobustMQError } from '../../lib/errors.js';
import { timeText } from '../../lib/cli/render-token.js';

export default class TokenCreate extends AdminCommand<typeof TokenCreate> {
  static override summary = 'Create an admin token (shown once: store it now).';
  static override description =
    'The token is printed this once; the broker stores only a hash of it. Pass it to later commands with --token or ROBUSTMQ_TOKEN, or to the REST API as Authorization: Bearer <token>.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> --name ci-deploy',
    '<%= config.bin %> <%= command.id %> --name alice --expires 30d',
    '<%= config.bin %> <%= command.id %> --name dashboard --json --token "$BOOTSTRAP_TOKEN"',
  ];

  static override flags = {
    name: Flags.string({ summary: 'Who or what uses the token (1-64 characters).', required: true }),
    expires: Flags.string({ summary: 'Refuse the token after this long: 30d, 12h, 90m; 0 = never (default).' }),
  };

  async run(): Promise<void> {
    const f = this.flags;
    let expiresInMs: number | undefined;
    try {
      expiresInMs = f.expires === undefined ? undefined : parseDuration(f.expires, '--expires');
    } catch (err) {
      return this.usageError(err as RobustMQError);
    }
    const created = await this.adminApi().createToken({ name: f.name, expiresInMs });
    this.output(
      created,
      () =>
        `${renderRecord(
          [
            ['token', created.token],
            ['id', created.id],
            ['name', created.name],
            ['expires', timeText(created.expiresAtMs, 'never')],
          ],
          this.color,
        )}\nStore the token now: it is not shown again.`,
    );
  }
}
