// `robustmq-cli topic-rewrite create`: adds a runtime topic rewrite rule (stored: it survives a restart).
import { Flags } from '@oclif/core';
import type { TopicRewriteAction } from '../../lib/admin-api.js';
import { AdminCommand } from '../../lib/cli/admin-command.js';
import { renderTopicRewrites } from '../../lib/cli/render-topic-rewrite.js';
import { RobustMQError } from '../../lib/errors.js';
import { checkRewriteRule, TOPIC_REWRITE_ACTIONS } from '../../lib/topic-rewrite-rule.js';

export default class TopicRewriteCreate extends AdminCommand<typeof TopicRewriteCreate> {
  static override summary = 'Add a topic rewrite rule: topics matching --source and --regex become --dest.';
  static override description =
    "The rule is stored and survives a restart. When several rules' source filters match a topic, the LAST in the list applies (as in EMQX), and only its regex is tried: when the regex does not match, the topic stays. --dest takes $1..$9 (the regex's groups), ${clientid} and ${username}. A result that is not a valid topic keeps the original (logged). Rules of the configuration file come first; a new rule goes at the end unless --position or --before says otherwise.";
  static override examples = [
    "<%= config.bin %> <%= command.id %> --action publish --source 'x/#' --regex '^x/y/(.+)$' --dest 'z/$1'",
    "<%= config.bin %> <%= command.id %> --action all --source 'devices/+/up' --regex '^devices/([^/]+)/up$' --dest 'tenants/${username}/$1/up' --json",
    "<%= config.bin %> <%= command.id %> --action subscribe --source 'old/#' --regex '^old/(.*)$' --dest 'new/$1' --position 1",
  ];
  static override flags = {
    action: Flags.string({
      summary: 'Which packets: publish (PUBLISH and wills), subscribe (SUBSCRIBE, UNSUBSCRIBE) or all.',
      options: [...TOPIC_REWRITE_ACTIONS],
      required: true,
    }),
    source: Flags.string({ summary: 'Topic filter the topic must match (e.g. x/#).', required: true }),
    regex: Flags.string({
      summary: 'JavaScript regular expression run on the topic; its groups are $1..$9.',
      required: true,
    }),
    dest: Flags.string({ summary: 'The new topic, with $1..$9, ${clientid}, ${username}.', required: true }),
    position: Flags.integer({
      summary: "1-based place in the list (after the configuration file's rules); default: at the end.",
      min: 1,
      exclusive: ['before'],
    }),
    before: Flags.string({ summary: 'Go just before the runtime rule of this id.', exclusive: ['position'] }),
  };

  async run(): Promise<void> {
    const f = this.flags;
    const spec = {
      action: f.action as TopicRewriteAction,
      sourceTopic: f.source,
      regex: f.regex,
      destTopic: f.dest,
    };
    try {
      checkRewriteRule(spec);
    } catch (err) {
      return this.usageError(err as RobustMQError);
    }
    const rule = await this.adminApi().createTopicRewrite({ ...spec, position: f.position, before: f.before });
    this.output(rule, () => `added topic rewrite rule ${rule.id}\n${renderTopicRewrites([rule], this.color)}`);
  }
}
