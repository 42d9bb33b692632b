// Topic rewrite (EMQX's rewrite): the ordered rules, config-file ones then runtime ones (stored as
// feature records of kind 'topic-rewrite' with their position), and the rewrite itself of a PUBLISH
// topic (and a will's), a SUBSCRIBE and an UNSUBSCRIBE filter, through broker.features.rewrite.
//
// Which rule applies, as EMQX does it: the rules whose action covers the packet are tried from the
// END of the list; the first whose source filter matches the topic is the one, and only its regex is
// run (no match: the topic stays as it is, no other rule is tried). The regex's groups fill $1..$9 of
// the destination, the client fills ${clientid} / ${username}. A result that is not a valid topic
// name (PUBLISH, will) or filter (SUBSCRIBE, UNSUBSCRIBE) keeps the original, and is logged.
//
// Cost: with no rule the slot is empty (publish-handler pays one undefined check). With rules, each
// action keeps a small cache topic -> result, cleared whenever the rules change, so a topic seen
// before costs one Map lookup (plus the placeholders for rules that name the client).
import { randomBytes } from 'node:crypto';
import type { Logger } from '../../lib/logger.js';
import { RobustMQError } from '../../lib/errors.js';
import {
  checkRewriteRule,
  MAX_TOPIC_REWRITE_RULES,
  type CheckedRewriteRule,
  type DestPart,
  type TopicRewriteRuleSpec,
} from '../../lib/topic-rewrite-rule.js';
import { parseSubscriptionFilter, topicMatches, validateTopicFilter, validateTopicName } from '../../lib/topic.js';
import type { Connection } from '../protocol/connection.js';
import type { FeatureStorage } from '../storage/storage-adapter.js';
import type { FeatureSlots, TopicRewriteSlot } from './feature-slots.js';
import { loadFeatureRecords, parseRecordObject } from './feature-records.js';

export const TOPIC_REWRITE_KIND = 'topic-rewrite';

/**
 * Topics longer than this (characters) are not rewritten: the regex runs on topics of bounded length,
 * so a rule whose regex backtracks polynomially (several .* in a row) cannot stall the broker on a
 * 64 KiB topic.
 */
export const MAX_REWRITTEN_TOPIC_LENGTH = 4096;

/** Results kept per action; the oldest is dropped beyond this. */
const CACHE_SIZE = 4096;

export interface RewriteRule extends TopicRewriteRuleSpec {
  id: string;
  source: 'config' | 'api';
  /** 0 for config-file rules. */
  createdAtMs: number;
  compiled: CheckedRewriteRule;
}

/** A runtime rule as stored (JSON of the feature record; the id is the record's id). */
interface StoredRule extends TopicRewriteRuleSpec {
  /** Index among the runtime rules (the records are read back in this order). */
  position: number;
  createdAtMs: number;
}

/** Where a new runtime rule goes: a 1-based position in the whole list, or before a runtime rule. */
export interface RulePlacement {
  position?: number;
  before?: string;
}

/** null: the topic stays; a string: the new topic; a match: the rule names the client, filled per call. */
type Outcome = null | string | { rule: RewriteRule; groups: RegExpExecArray };

function invalid(message: string): RobustMQError {
  return new RobustMQError('RMQ_ERR_INVALID_ARGUMENT', message);
}

/** The destination with the groups and the client's values; undefined when it names a value the client lacks. */
function fill(parts: DestPart[], groups: RegExpExecArray, conn?: Connection): string | undefined {
  let out = '';
  for (const p of parts) {
    if (typeof p === 'string') out += p;
    else if (typeof p === 'number') out += groups[p] ?? '';
    else {
      const value = p.client === 'clientid' ? conn?.clientId : conn?.username;
      if (!value) return undefined;
      out += value;
    }
  }
  return out;
}

export class TopicRewrite implements TopicRewriteSlot {
  private readonly configRules: RewriteRule[];
  private runtimeRules: RewriteRule[] = [];
  /** The rules of each kind of packet, in the order they are tried (the end of the list first). */
  private publishRules: RewriteRule[] = [];
  private subscribeRules: RewriteRule[] = [];
  private readonly publishCache = new Map<string, Outcome>();
  private readonly subscribeCache = new Map<string, Outcome>();

  constructor(
    private readonly slots: FeatureSlots,
    private readonly storage: FeatureStorage & { flush(): Promise<void> },
    private readonly log: Logger,
    configRules: readonly { action: string; source_topic: string; regex: string; dest_topic: string }[],
  ) {
    this.configRules = configRules.map((r, i) => {
      const spec = {
        action: r.action as RewriteRule['action'],
        sourceTopic: r.source_topic,
        regex: r.regex,
        destTopic: r.dest_topic,
      };
      let compiled: CheckedRewriteRule;
      try {
        compiled = checkRewriteRule(spec);
      } catch (err) {
        throw new RobustMQError(
          'RMQ_ERR_CONFIG_INVALID',
          `invalid configuration: topic_rewrite.rules.${i}: ${(err as Error).message}`,
        );
      }
      return { id: `config-${i + 1}`, source: 'config', createdAtMs: 0, ...spec, compiled };
    });
    this.rebuild();
  }

  /** Reads the runtime rules back from storage (Broker.start). A record that no longer passes the checks is skipped and logged. */
  async load(): Promise<void> {
    const records = await loadFeatureRecords(this.storage, TOPIC_REWRITE_KIND, this.log, (value, id) => {
      const s = parseRecordObject(value) as unknown as StoredRule;
      const spec = { action: s.action, sourceTopic: s.sourceTopic, regex: s.regex, destTopic: s.destTopic };
      const rule: RewriteRule = {
        id,
        source: 'api',
        createdAtMs: s.createdAtMs,
        ...spec,
        compiled: checkRewriteRule(spec),
      };
      return { rule, position: s.position };
    });
    const loaded = records.map((r) => r.value);
    loaded.sort((a, b) => a.position - b.position || (a.rule.id < b.rule.id ? -1 : 1));
    this.runtimeRules = loaded.map((l) => l.rule);
    this.rebuild();
    if (loaded.length > 0) this.log.info({ rules: this.rules().length }, 'topic rewrite rules loaded');
  }

  /** Every rule in list order: the config file's, then the runtime ones. */
  rules(): RewriteRule[] {
    return [...this.configRules, ...this.runtimeRules];
  }

  /** Adds a runtime rule (at the end unless placed); stored before it returns. RMQ_ERR_INVALID_ARGUMENT for a bad rule or place. */
  async add(spec: TopicRewriteRuleSpec, place: RulePlacement = {}): Promise<RewriteRule> {
    const compiled = checkRewriteRule(spec);
    if (this.configRules.length + this.runtimeRules.length >= MAX_TOPIC_REWRITE_RULES) {
      throw invalid(`at most ${MAX_TOPIC_REWRITE_RULES} topic rewrite rules; delete one first`);
    }
    const index = this.placeIndex(place);
    let id = randomBytes(4).toString('hex');
    while (this.rules().some((r) => r.id === id)) id = randomBytes(4).toString('hex');
    const rule: RewriteRule = {
      id,
      source: 'api',
      createdAtMs: Date.now(),
      action: spec.action,
      sourceTopic: spec.sourceTopic,
      regex: spec.regex,
      destTopic: spec.destTopic,
      compiled,
    };
    this.runtimeRules.splice(index, 0, rule);
    // this rule and those after it moved: their stored positions are written again
    for (let i = index; i < this.runtimeRules.length; i++) this.save(this.runtimeRules[i]!, i);
    this.rebuild();
    await this.storage.flush();
    this.log.info(
      { id, action: rule.action, source: rule.sourceTopic, dest: rule.destTopic },
      'topic rewrite rule added',
    );
    return rule;
  }

  /** Removes a runtime rule. RMQ_ERR_TOPIC_REWRITE_NOT_FOUND for an unknown id; a config rule cannot be removed here. */
  async remove(id: string): Promise<void> {
    const index = this.runtimeIndex(id);
    this.runtimeRules.splice(index, 1);
    // the positions of the others keep their order (a gap is fine)
    this.storage.deleteFeatureRecord(TOPIC_REWRITE_KIND, id);
    this.rebuild();
    await this.storage.flush();
    this.log.info({ id }, 'topic rewrite rule deleted');
  }

  /** Topics and filters whose outcome is cached now (publish + subscribe). */
  get cachedTopics(): number {
    return this.publishCache.size + this.subscribeCache.size;
  }

  publishTopic(conn: Connection, topic: string): string {
    if (this.publishRules.length === 0) return topic;
    const outcome = this.outcome(this.publishCache, this.publishRules, topic, conn, true);
    if (outcome === null) return topic;
    if (typeof outcome === 'string') return outcome;
    const dest = fill(outcome.rule.compiled.parts, outcome.groups, conn);
    if (dest === undefined) return this.missingValue(conn, outcome.rule, topic);
    const check = validateTopicName(dest);
    return check.ok ? dest : this.kept(conn, outcome.rule, topic, dest, check.reason!);
  }

  subscribeFilter(conn: Connection, raw: string): string {
    if (this.subscribeRules.length === 0) return raw;
    // $share/{group}/, $queue/ and $exclusive/ stay; the filter after them is what is rewritten
    let prefix = '';
    if (raw.startsWith('$share/')) {
      const slash = raw.indexOf('/', '$share/'.length);
      if (slash <= '$share/'.length) return raw; // not a shared filter: SUBSCRIBE refuses it
      prefix = raw.slice(0, slash + 1);
    } else if (raw.startsWith('$queue/')) prefix = '$queue/';
    else if (raw.startsWith('$exclusive/')) prefix = '$exclusive/';
    const filter = raw.slice(prefix.length);
    const outcome = this.outcome(this.subscribeCache, this.subscribeRules, filter, conn, false);
    if (outcome === null) return raw;
    let dest: string | undefined;
    let rule: RewriteRule | undefined;
    if (typeof outcome === 'string') dest = outcome;
    else {
      rule = outcome.rule;
      dest = fill(rule.compiled.parts, outcome.groups, conn);
      if (dest === undefined) return this.missingValue(conn, rule, raw);
    }
    // behind a prefix: a plain filter; alone, it may become a shared one
    const check =
      prefix === ''
        ? parseSubscriptionFilter(dest)
        : /^\$(share|queue|exclusive)\//.test(dest)
          ? { ok: false, reason: 'a filter behind a prefix cannot hold another one' }
          : validateTopicFilter(dest);
    if (!check.ok) return this.kept(conn, rule, raw, prefix + dest, check.reason!);
    return prefix + dest;
  }

  /** The cached outcome for a topic, or the rules' (then cached). */
  private outcome(
    cache: Map<string, Outcome>,
    rules: readonly RewriteRule[],
    topic: string,
    conn: Connection,
    isPublish: boolean,
  ): Outcome {
    // not rewritten, and not cached: the caches hold topics of bounded length only
    if (topic.length > MAX_REWRITTEN_TOPIC_LENGTH) return null;
    let outcome = cache.get(topic);
    if (outcome !== undefined) return outcome;
    outcome = this.apply(rules, topic, conn, isPublish);
    if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value!);
    cache.set(topic, outcome);
    return outcome;
  }

  private apply(rules: readonly RewriteRule[], topic: string, conn: Connection, isPublish: boolean): Outcome {
    for (const rule of rules) {
      if (!topicMatches(rule.sourceTopic, topic)) continue;
      // the first rule whose filter matches decides, even when its regex does not match (EMQX)
      const groups = rule.compiled.regex.exec(topic);
      if (groups === null) return null;
      if (rule.compiled.usesClient) return { rule, groups };
      const dest = fill(rule.compiled.parts, groups)!;
      if (!isPublish) return dest; // a filter's check depends on its prefix: done per call
      const check = validateTopicName(dest);
      if (!check.ok) {
        this.kept(conn, rule, topic, dest, check.reason!);
        return null;
      }
      return dest;
    }
    return null;
  }

  private kept(conn: Connection, rule: RewriteRule | undefined, topic: string, dest: string, reason: string): string {
    conn.log.warn({ topic, dest, rule: rule?.id, reason }, 'topic rewrite result is not valid: the topic is kept');
    return topic;
  }

  private missingValue(conn: Connection, rule: RewriteRule, topic: string): string {
    conn.debug(
      { topic, rule: rule.id },
      'topic rewrite needs a username (or client id) this client has not: the topic is kept',
    );
    return topic;
  }

  private placeIndex(place: RulePlacement): number {
    const n = this.configRules.length;
    if (place.position !== undefined && place.before !== undefined)
      throw invalid('give a position or before, not both');
    if (place.before !== undefined && place.before !== '') return this.runtimeIndex(place.before);
    if (place.position === undefined || place.position === 0) return this.runtimeRules.length;
    const p = place.position;
    const last = n + this.runtimeRules.length + 1;
    if (!Number.isInteger(p) || p < 1 || p > last)
      throw invalid(`position must be between ${n + 1} and ${last}; got ${p}`);
    if (p <= n) {
      throw invalid(
        `position ${p} is held by a rule of the config file (positions 1-${n}); runtime rules go from ${n + 1} to ${last}`,
      );
    }
    return p - n - 1;
  }

  private runtimeIndex(id: string): number {
    const index = this.runtimeRules.findIndex((r) => r.id === id);
    if (index >= 0) return index;
    if (this.configRules.some((r) => r.id === id)) {
      throw new RobustMQError(
        'RMQ_ERR_CONFIG_DEFINED',
        `topic rewrite rule ${id} comes from the configuration file: change it there and restart`,
      );
    }
    throw new RobustMQError('RMQ_ERR_TOPIC_REWRITE_NOT_FOUND', `no topic rewrite rule with id "${id}"`);
  }

  private save(rule: RewriteRule, position: number): void {
    const stored: StoredRule = {
      action: rule.action,
      sourceTopic: rule.sourceTopic,
      regex: rule.regex,
      destTopic: rule.destTopic,
      position,
      createdAtMs: rule.createdAtMs,
    };
    this.storage.saveFeatureRecord(TOPIC_REWRITE_KIND, rule.id, JSON.stringify(stored));
  }

  /** The per-action lists (the end of the list first), the caches emptied, the slot filled or emptied. */
  private rebuild(): void {
    const all = this.rules().reverse();
    this.publishRules = all.filter((r) => r.action !== 'subscribe');
    this.subscribeRules = all.filter((r) => r.action !== 'publish');
    this.publishCache.clear();
    this.subscribeCache.clear();
    this.slots.rewrite = all.length > 0 ? this : undefined;
  }
}
