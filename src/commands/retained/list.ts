// `robustmq-cli retained list`: retained messages in topic order, filtered by a topic filter and paged by the server.
import { Flags } from '@oclif/core';
import { AdminCommand } from '../../lib/cli/admin-command.js';
import { fetchPages, pageFooter, pagingFlags } from '../../lib/cli/paging.js';
import { renderTable } from '../../lib/cli/render.js';
import { timeText } from '../../lib/cli/render-session.js';

export default class RetainedList extends AdminCommand<typeof RetainedList> {
  static override summary = 'List retained messages in topic order, without their payloads (paged on the server).';
  static override description =
    "--topic is an MQTT topic filter, as in SUBSCRIBE: '+' matches one level, '#' the rest; without wildcards it is that one topic. As in MQTT, a filter starting with a wildcard does not match topics starting with '$' (give '$SYS/#' for those); without --topic every retained message is listed.";
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    "<%= config.bin %> <%= command.id %> --topic 'sensors/+/temperature'",
    "<%= config.bin %> <%= command.id %> --topic 'sensors/#' --all --json",
  ];

  static override flags = {
    topic: Flags.string({ summary: "Only topics this topic filter matches ('+' and '#' wildcards)." }),
    ...pagingFlags('Retained messages'),
  };

  async run(): Promise<void> {
    const f = this.flags;
    const api = this.adminApi();
    const filter = { topic: f.topic, limit: f.limit };
    const page = await fetchPages((pageToken) => api.listRetained({ ...filter, pageToken }), f['page-token'], f.all);
    const retained = page.items;
    this.output({ retained, nextPageToken: page.nextPageToken, total: page.total }, () => {
      const table = renderTable(
        retained,
        [
          { header: 'topic', value: (m) => m.topic },
          { header: 'qos', value: (m) => m.qos },
          { header: 'bytes', value: (m) => m.payloadBytes },
          { header: 'stored at', value: (m) => timeText(m.storedAtMs) },
          { header: 'expires at', value: (m) => timeText(m.expiresAtMs) || 'never' },
        ],
        this.color,
      );
      return `${table}\n${pageFooter(retained.length, page.total, page.nextPageToken, 'retained message')}`;
    });
  }
}
