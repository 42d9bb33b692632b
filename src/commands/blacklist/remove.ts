// `robustmq-cli blacklist remove`: lifts the ban on a client id, a username or an IP range.
import { AdminCommand } from '../../lib/cli/admin-command.js';
import { banTarget, banTargetFlags } from '../../lib/cli/ban-target.js';

export default class BlacklistRemove extends AdminCommand<typeof BlacklistRemove> {
  static override summary = 'Lift a ban (the value as blacklist list shows it).';
  static override examples = [
    '<%= config.bin %> <%= command.id %> --client-id flood-bot',
    '<%= config.bin %> <%= command.id %> --ip 203.0.113.0/24 --json',
  ];
  static override flags = { ...banTargetFlags };

  async run(): Promise<void> {
    const { kind, value } = banTarget(this.flags);
    await this.adminApi().deleteBan(kind, value);
    this.output({ removed: { kind, value } }, () => `lifted the ban on ${kind} ${value}`);
  }
}
