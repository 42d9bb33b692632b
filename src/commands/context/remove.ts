// `robustmq-cli context remove NAME`: forget a saved context (and its token).
import { Args } from '@oclif/core';
import { LocalCommand } from '../../lib/cli/local-command.js';
import { ContextStore } from '../../lib/cli/contexts.js';

export default class ContextRemove extends LocalCommand<typeof ContextRemove> {
  static override summary = 'Forget a saved context and its token; if it was current, no context is current.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> staging',
    '<%= config.bin %> <%= command.id %> prod --json',
  ];
  static override args = { name: Args.string({ description: 'Name of the context.', required: true }) };

  async run(): Promise<void> {
    const store = new ContextStore();
    const wasCurrent = store.currentName() === this.args.name;
    store.remove(this.args.name);
    this.output(
      { removed: this.args.name, wasCurrent },
      () => `context ${this.args.name} removed${wasCurrent ? '; no context is current now' : ''}`,
    );
  }
}
