// One topic rewrite rule as the config file and the admin API give it: the checks every rule passes
// (action, source filter, regular expression, destination template) and the destination template
// parsed into parts. Shared by the config schema, the broker's feature and the CLI (which checks
// a rule before sending it).
import { RobustMQError } from './errors.js';
import { nestedQuantifier } from './security-rules.js';
import { MAX_TOPIC_BYTES, validateTopicFilter, validateTopicName } from './topic.js';

export const TOPIC_REWRITE_ACTIONS = ['publish', 'subscribe', 'all'] as const;
export type TopicRewriteAction = (typeof TOPIC_REWRITE_ACTIONS)[number];

/** The longest regular expression a rule takes (characters). */
export const MAX_REWRITE_REGEX_LENGTH = 512;
/** Rules at most, config file and runtime together: every PUBLISH that misses the cache walks them. */
export const MAX_TOPIC_REWRITE_RULES = 1000;

export interface TopicRewriteRuleSpec {
  action: TopicRewriteAction;
  /** The MQTT topic filter a topic (or a subscription's filter) must match for the rule to apply. */
  sourceTopic: string;
  /** JavaScript regular expression run on the topic; its groups are $1..$9 of the destination. */
  regex: string;
  /** The new topic: text with $1..$9, ${clientid} and ${username}. */
  destTopic: string;
}

/** A piece of the destination: literal text, a capture group (1-9), or the client id / username. */
export type DestPart = string | number | { client: 'clientid' | 'username' };

export interface CheckedRewriteRule {
  regex: RegExp;
  parts: DestPart[];
  /** Whether the destination names ${clientid} or ${username} (its result depends on the client). */
  usesClient: boolean;
}

function invalid(message: string): RobustMQError {
  return new RobustMQError('RMQ_ERR_INVALID_ARGUMENT', message);
}

/** Splits a destination into parts; `groups` is how many capture groups the regex has. */
export function parseDestTopic(dest: string, groups: number): DestPart[] {
  const parts: DestPart[] = [];
  let text = '';
  for (let i = 0; i < dest.length; i++) {
    const c = dest[i]!;
    const next = dest[i + 1];
    if (c === '$' && next !== undefined && next >= '1' && next <= '9') {
      const n = Number(next);
      if (n > groups) {
        throw invalid(
          `dest_topic "${dest}" uses $${n} but the regex has ${groups} capture group${groups === 1 ? '' : 's'}`,
        );
      }
      if (text) parts.push(text);
      text = '';
      parts.push(n);
      i++;
    } else if (c === '$' && next === '{') {
      const end = dest.indexOf('}', i);
      const name = end < 0 ? '' : dest.slice(i + 2, end);
      if (name !== 'clientid' && name !== 'username') {
        throw invalid(`dest_topic "${dest}": the placeholders are \${clientid} and \${username}, $1 to $9`);
      }
      if (text) parts.push(text);
      text = '';
      parts.push({ client: name });
      i = end;
    } else {
      text += c;
    }
  }
  if (text) parts.push(text);
  return parts;
}

/** Capture groups of a compiled regular expression (an alternative that matches '' tells). */
function groupCount(re: RegExp): number {
  return new RegExp(`(?:${re.source})|`, re.flags).exec('')!.length - 1;
}

/**
 * Checks a rule: action, a valid source filter (not a shared one), a regular expression that
 * compiles (flag u), at most MAX_REWRITE_REGEX_LENGTH characters, with no repeated group holding a
 * repetition and no back-reference (both can take exponential time), and a destination whose
 * $N exist and that, with its placeholders filled, is a topic name (publish, all) or a filter
 * (subscribe). RMQ_ERR_INVALID_ARGUMENT with the reason.
 */
export function checkRewriteRule(spec: TopicRewriteRuleSpec): CheckedRewriteRule {
  if (!(TOPIC_REWRITE_ACTIONS as readonly string[]).includes(spec.action)) {
    throw invalid(`action must be one of ${TOPIC_REWRITE_ACTIONS.join(', ')}; got "${spec.action}"`);
  }
  const source = validateTopicFilter(spec.sourceTopic ?? '');
  if (!source.ok) throw invalid(`source_topic "${spec.sourceTopic}": ${source.reason}`);
  if (spec.sourceTopic.startsWith('$share/') || spec.sourceTopic.startsWith('$queue/')) {
    throw invalid(
      `source_topic "${spec.sourceTopic}": a shared filter is rewritten after its $share/{group}/ part; name the filter without it`,
    );
  }
  const pattern = spec.regex ?? '';
  if (pattern.length === 0) throw invalid('regex is empty');
  if (pattern.length > MAX_REWRITE_REGEX_LENGTH) {
    throw invalid(`regex is at most ${MAX_REWRITE_REGEX_LENGTH} characters; got ${pattern.length}`);
  }
  let regex: RegExp;
  try {
    regex = new RegExp(pattern, 'u');
  } catch (err) {
    throw invalid(`regex "${pattern}" is not a valid regular expression: ${(err as Error).message}`);
  }
  if (nestedQuantifier(pattern)) {
    throw invalid(
      `regex "${pattern}" repeats a group that itself holds a repetition (as in (a+)+): it can take exponential time on some topics; write it without the nesting`,
    );
  }
  if (/\\[1-9]|\\k</.test(pattern)) throw invalid(`regex "${pattern}": back-references are not accepted`);
  const dest = spec.destTopic ?? '';
  if (dest.length === 0) throw invalid('dest_topic is empty');
  if (Buffer.byteLength(dest) > MAX_TOPIC_BYTES) throw invalid('dest_topic is longer than 65535 bytes');
  const parts = parseDestTopic(dest, groupCount(regex));
  // with every $N and placeholder as one plain level character, the shape must already be right
  const sample = parts.map((p) => (typeof p === 'string' ? p : 'x')).join('');
  const shape =
    spec.action === 'subscribe'
      ? validateTopicFilter(sample.replace(/^\$share\/[^/]+\//, '').replace(/^\$queue\//, ''))
      : validateTopicName(sample);
  if (!shape.ok) {
    throw invalid(
      `dest_topic "${dest}" is not a valid topic ${spec.action === 'subscribe' ? 'filter' : 'name'}: ${shape.reason}`,
    );
  }
  return { regex, parts, usesClient: parts.some((p) => typeof p === 'object') };
}
