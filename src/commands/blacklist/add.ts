// `robustmq-cli blacklist add`: bans a client id, a username, an IP range or a regular expression, for ever or for a time.
import { Flags } from '@oclif/core';
import { AdminCommand } from '../../lib/cli/admin-command.js';
import { banTarget, banTargetFlags } from '../../lib/cli/ban-target.js';
import { parseDuration } from '../../lib/cli/duration.js';
import { renderBans } from '../../lib/cli/render-security.js';
import { RobustMQError } from '../../lib/errors.js';
import { checkBanValue } from '../../lib/security-rules.js';

export default class BlacklistAdd extends AdminCommand<typeof BlacklistAdd> {
  static override summary = 'Ban a client id, a username, an IP address / CIDR range, or a regular expression.';
  static override description =
    'Banning the same one again replaces its reason and end. A ban that has ended is no longer listed (it is removed). A banned client is refused at CONNECT (v5 0x8A Banned, 3.1.1 return code 5), and one connected when the ban is added is disconnected (v5 DISCONNECT 0x98). A regex ban is a JavaScript regular expression matched against the client id and the username (at most 512 characters; a repeated group holding a repetition, as (a+)+, is refused).';
  static override examples = [
    "<%= config.bin %> <%= command.id %> --client-id flood-bot --reason 'publish storm' --duration 1h",
    '<%= config.bin %> <%= command.id %> --ip 203.0.113.0/24 --until 2027-01-01T00:00:00Z',
    '<%= config.bin %> <%= command.id %> --username mallory --json',
    "<%= config.bin %> <%= command.id %> --regex '^scanner-[0-9]+$' --reason 'scanners'",
  ];
  static override flags = {
    ...banTargetFlags,
    reason: Flags.string({ summary: 'Why (shown by blacklist list).' }),
    duration: Flags.string({ summary: 'The ban ends after this long: 30m, 1h, 7d...', exclusive: ['until'] }),
    until: Flags.string({ summary: 'The ban ends at this time (ISO 8601).', exclusive: ['duration'] }),
  };

  async run(): Promise<void> {
    const f = this.flags;
    const { kind, value } = banTarget(f);
    let durationMs: number | undefined;
    let untilMs: number | undefined;
    try {
      checkBanValue(kind, value);
      if (f.duration !== undefined) {
        durationMs = parseDuration(f.duration, '--duration');
        if (durationMs === 0) throw new RobustMQError('RMQ_ERR_INVALID_ARGUMENT', '--duration must be more than 0');
      }
      if (f.until !== undefined) {
        untilMs = Date.parse(f.until);
        if (Number.isNaN(untilMs) || untilMs <= Date.now()) {
          throw new RobustMQError(
            'RMQ_ERR_INVALID_ARGUMENT',
            `--until must be a time in the future, ISO 8601 (2027-01-01T00:00:00Z); got "${f.until}"`,
          );
        }
      }
    } catch (err) {
      return this.usageError(err as RobustMQError);
    }
    const ban = await this.adminApi().createBan({ kind, value, reason: f.reason, durationMs, untilMs });
    this.output(ban, () => `banned ${ban.kind} ${ban.value}\n${renderBans([ban], this.color)}`);
  }
}
