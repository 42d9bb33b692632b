// How topic rewrite rules are shown to people: one table row per rule, in list order.
import type { TopicRewriteInfo } from '../admin-api.js';
import { renderTable } from './render.js';

export function renderTopicRewrites(rules: readonly TopicRewriteInfo[], color: boolean): string {
  return renderTable(
    rules,
    [
      { header: 'pos', value: (r) => r.position },
      { header: 'id', value: (r) => r.id },
      { header: 'action', value: (r) => r.action },
      { header: 'source topic', value: (r) => r.sourceTopic },
      { header: 'regex', value: (r) => r.regex },
      { header: 'dest topic', value: (r) => r.destTopic },
      { header: 'source', value: (r) => r.source },
      { header: 'created at', value: (r) => (r.createdAtMs ? new Date(r.createdAtMs).toISOString() : '') },
    ],
    color,
  );
}
