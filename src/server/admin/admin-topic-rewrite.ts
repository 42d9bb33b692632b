// The topic rewrite part of the AdminApi: create (placed), list (in list order, paged), delete,
// over the broker's TopicRewrite (src/server/features/topic-rewrite.ts).
import type { CreateTopicRewriteRequest, Page, TopicRewriteFilter, TopicRewriteInfo } from '../../lib/admin-api.js';
import type { RewriteRule, TopicRewrite } from '../features/topic-rewrite.js';
import { pageOfSorted } from './key-paging.js';

const info = (r: RewriteRule, index: number): TopicRewriteInfo => ({
  id: r.id,
  position: index + 1,
  action: r.action,
  sourceTopic: r.sourceTopic,
  regex: r.regex,
  destTopic: r.destTopic,
  source: r.source,
  createdAtMs: r.createdAtMs,
});

/** A position as a key that sorts the same way (the page token is the last position of a page). */
const positionKey = (i: TopicRewriteInfo): string => String(i.position).padStart(8, '0');

export class AdminTopicRewrite {
  constructor(private readonly rewrite: TopicRewrite) {}

  async createTopicRewrite(request: CreateTopicRewriteRequest): Promise<TopicRewriteInfo> {
    const rule = await this.rewrite.add(
      {
        action: request.action,
        sourceTopic: request.sourceTopic,
        regex: request.regex,
        destTopic: request.destTopic,
      },
      { position: request.position, before: request.before },
    );
    const rules = this.rewrite.rules();
    return info(rule, rules.indexOf(rule));
  }

  async listTopicRewrites(filter: TopicRewriteFilter = {}): Promise<Page<TopicRewriteInfo>> {
    const all = this.rewrite.rules().map(info);
    return pageOfSorted(all, positionKey, (i) => i, filter);
  }

  deleteTopicRewrite(id: string): Promise<void> {
    return this.rewrite.remove(id);
  }
}
