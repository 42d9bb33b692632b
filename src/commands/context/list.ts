// `robustmq-cli context list`: the saved contexts; tokens are never printed, only whether one is set.
import { LocalCommand } from '../../lib/cli/local-command.js';
import { ContextStore } from '../../lib/cli/contexts.js';
import { renderTable } from '../../lib/cli/render.js';

export default class ContextList extends LocalCommand<typeof ContextList> {
  static override summary = 'List the saved contexts: name, server, whether a token is set; * marks the current one.';
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json'];

  async run(): Promise<void> {
    const store = new ContextStore();
    const current = store.currentName();
    const contexts = store
      .all()
      .map(([name, c]) => ({ name, server: c.server, tokenSet: Boolean(c.token), current: name === current }));
    this.output({ current: current ?? null, contexts, file: store.path }, () =>
      contexts.length === 0
        ? `no contexts yet: add one with robustmq-cli context add NAME --server host:port (file: ${store.path})`
        : renderTable(
            contexts,
            [
              { header: 'current', value: (c) => (c.current ? '*' : '') },
              { header: 'name', value: (c) => c.name },
              { header: 'server', value: (c) => c.server },
              { header: 'token', value: (c) => (c.tokenSet ? 'set' : '') },
            ],
            this.color,
          ),
    );
  }
}
