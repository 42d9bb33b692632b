// `robustmq-cli alarm clear-history`: deletes the history of deactivated alarms.
import { AdminCommand } from '../../lib/cli/admin-command.js';

export default class AlarmClearHistory extends AdminCommand<typeof AlarmClearHistory> {
  static override summary = 'Delete the history of deactivated alarms (active alarms stay).';
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json'];

  async run(): Promise<void> {
    await this.adminApi().clearAlarmHistory();
    this.output({ cleared: true }, () => 'alarm history deleted');
  }
}
