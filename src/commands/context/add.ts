// `robustmq-cli context add NAME --server host:port [--token T] [--use]`: save a named target.
import { Args, Flags } from '@oclif/core';
import { LocalCommand } from '../../lib/cli/local-command.js';
import { checkContextName, checkServerAddress, ContextStore } from '../../lib/cli/contexts.js';
import { RobustMQError } from '../../lib/errors.js';

export default class ContextAdd extends LocalCommand<typeof ContextAdd> {
  static override summary = 'Save a named target: an admin endpoint and, if it needs one, its admin token.';
  static override description =
    "Admin commands use the current context when neither --server nor ROBUSTMQ_SERVER is given, and its token when neither --token nor ROBUSTMQ_TOKEN is given and the target is that context's server. Contexts are kept in $XDG_CONFIG_HOME/robustmq/contexts.json (else ~/.config/robustmq/contexts.json), readable by you only (mode 0600).";
  static override examples = [
    '<%= config.bin %> <%= command.id %> local --server 127.0.0.1:1228 --use',
    '<%= config.bin %> <%= command.id %> prod --server 10.0.0.5:1228 --token "$PROD_ADMIN_TOKEN"',
    '<%= config.bin %> <%= command.id %> prod --server 10.0.0.6:1228 --force',
  ];
  static override args = { name: Args.string({ description: 'Name of the context.', required: true }) };
  static override flags = {
    server: Flags.string({ summary: 'Admin gRPC endpoint of the broker or cluster, host:port.', required: true }),
    token: Flags.string({ summary: 'Admin token to send to that endpoint (kept in the context file, mode 0600).' }),
    use: Flags.boolean({ summary: 'Make it the current context.' }),
    force: Flags.boolean({ summary: 'Replace a context of the same name.' }),
  };

  async run(): Promise<void> {
    const name = this.args.name;
    checkContextName(name);
    checkServerAddress(this.flags.server);
    const store = new ContextStore();
    if (store.get(name) && !this.flags.force) {
      throw new RobustMQError(
        'RMQ_ERR_INVALID_ARGUMENT',
        `a context named "${name}" exists; add --force to replace it, or remove it first`,
      );
    }
    store.put(name, { server: this.flags.server, ...(this.flags.token ? { token: this.flags.token } : {}) });
    if (this.flags.use) store.use(name);
    const current = store.currentName() === name;
    this.output(
      { name, server: this.flags.server, tokenSet: Boolean(this.flags.token), current },
      () => `context ${name} saved (${this.flags.server})${current ? ', now current' : ''}`,
    );
  }
}
