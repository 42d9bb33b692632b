// `robustmq-cli context use NAME`: make a saved context the current one.
import { Args } from '@oclif/core';
import { LocalCommand } from '../../lib/cli/local-command.js';
import { ContextStore } from '../../lib/cli/contexts.js';

export default class ContextUse extends LocalCommand<typeof ContextUse> {
  static override summary = 'Make a saved context the current one: admin commands then target its server.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> prod',
    '<%= config.bin %> <%= command.id %> local && <%= config.bin %> cluster status',
  ];
  static override args = { name: Args.string({ description: 'Name of the context.', required: true }) };

  async run(): Promise<void> {
    const store = new ContextStore();
    store.use(this.args.name);
    const context = store.get(this.args.name)!;
    this.output(
      { name: this.args.name, server: context.server, tokenSet: Boolean(context.token), current: true },
      () => `current context: ${this.args.name} (${context.server})`,
    );
  }
}
