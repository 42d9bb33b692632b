// `robustmq-cli delayed delete ID | --all`: cancel held delayed messages (they are never published).
import { Args, Errors, Flags } from '@oclif/core';
import { isRobustMQError } from '../../lib/errors.js';
import { AdminCommand } from '../../lib/cli/admin-command.js';
import { fetchPages } from '../../lib/cli/paging.js';

export default class DelayedDelete extends AdminCommand<typeof DelayedDelete> {
  static override summary = 'Cancel a held delayed message, or every one with --all: it is never published.';
  static override description =
    'There is no prompt. --all cancels the messages held when the command lists them (those held later stay); --topic narrows --all to the messages whose destination topic contains the text.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> 1767225600000-000042',
    '<%= config.bin %> <%= command.id %> --all --topic sensors/ --json',
  ];
  static override args = { id: Args.string({ description: 'Id of the message, as delayed list shows it.' }) };
  static override flags = {
    all: Flags.boolean({ summary: 'Cancel every held delayed message (or those --topic names).' }),
    topic: Flags.string({
      summary: 'With --all: only messages whose destination topic contains this text.',
      dependsOn: ['all'],
    }),
  };

  async run(): Promise<void> {
    const { args } = await this.parse(DelayedDelete);
    const f = this.flags;
    if ((args.id === undefined) === !f.all) throw new Errors.CLIError('give either an ID or --all');
    const api = this.adminApi();
    if (args.id !== undefined) {
      await api.deleteDelayed(args.id);
      this.output({ deleted: [args.id] }, () => `cancelled delayed message ${args.id}`);
      return;
    }
    const held = await fetchPages(
      (pageToken) => api.listDelayed({ topic: f.topic, limit: 1000, pageToken }),
      undefined,
      true,
    );
    const deleted: string[] = [];
    for (const m of held.items) {
      try {
        await api.deleteDelayed(m.id);
        deleted.push(m.id);
      } catch (err) {
        // published (or cancelled by someone else) since the list: nothing left to cancel
        if (!isRobustMQError(err) || err.code !== 'RMQ_ERR_DELAYED_NOT_FOUND') throw err;
      }
    }
    this.output({ deleted }, () => `cancelled ${deleted.length} delayed message(s)`);
  }
}
