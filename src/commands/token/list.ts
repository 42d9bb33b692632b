// `robustmq-cli token list`: the admin tokens, never their secrets.
import { AdminCommand } from '../../lib/cli/admin-command.js';
import { fetchPages, pageFooter, pagingFlags } from '../../lib/cli/paging.js';
import { renderTable } from '../../lib/cli/render.js';
import { timeText } from '../../lib/cli/render-token.js';

export default class TokenList extends AdminCommand<typeof TokenList> {
  static override summary = 'List admin tokens: id, name, created, expires, last used (never the secret).';
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --all --json',
  ];

  static override flags = { ...pagingFlags('Tokens') };

  async run(): Promise<void> {
    const f = this.flags;
    const api = this.adminApi();
    const page = await fetchPages((pageToken) => api.listTokens({ limit: f.limit, pageToken }), f['page-token'], f.all);
    const tokens = page.items;
    const now = Date.now();
    this.output({ tokens, nextPageToken: page.nextPageToken, total: page.total }, () => {
      const table = renderTable(
        tokens,
        [
          { header: 'id', value: (t) => t.id },
          { header: 'name', value: (t) => t.name },
          { header: 'created', value: (t) => timeText(t.createdAtMs, '') },
          {
            header: 'expires',
            value: (t) =>
              `${timeText(t.expiresAtMs, 'never')}${t.expiresAtMs && t.expiresAtMs <= now ? ' (expired)' : ''}`,
          },
          { header: 'last used', value: (t) => timeText(t.lastUsedAtMs, 'never') },
        ],
        this.color,
      );
      return `${table}\n${pageFooter(tokens.length, page.total, page.nextPageToken, 'token')}`;
    });
  }
}
