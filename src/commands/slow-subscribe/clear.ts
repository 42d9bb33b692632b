// `robustmq-cli slow-subscribe clear`: empties the slow subscriptions list.
import { AdminCommand } from '../../lib/cli/admin-command.js';

export default class SlowSubscribeClear extends AdminCommand<typeof SlowSubscribeClear> {
  static override summary = 'Empty the slow subscriptions list.';
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json'];

  async run(): Promise<void> {
    await this.adminApi().clearSlowSubscriptions();
    this.output({ cleared: true }, () => 'slow subscriptions list emptied');
  }
}
