// What a username, a password, an ACL topic filter and a ban value must be. Shared by the CLI (a bad
// flag is a usage error, nothing is sent) and the broker (the REST and gRPC doors check the same).
import { isIP } from 'node:net';
import { RobustMQError } from './errors.js';
import { validateTopicFilter } from './topic.js';

/** An MQTT UTF-8 string or binary field holds at most 65535 bytes (MQTT 5.0 1.5.4, 1.5.6). */
export const MAX_MQTT_STRING_BYTES = 65535;

/** The placeholders an ACL filter may hold, replaced at evaluation by the connecting client's values. */
export const ACL_PLACEHOLDERS = ['${username}', '${clientid}'] as const;

export const ACL_PERMISSIONS = ['allow', 'deny'] as const;
export const ACL_ACTIONS = ['publish', 'subscribe', 'all'] as const;
export const BAN_KINDS = ['clientid', 'username', 'ip', 'regex'] as const;
export const ACL_PRINCIPAL_KINDS = ['user', 'client', 'ip', 'all'] as const;
/** A rule filter written `eq <filter>` matches that topic filter string only (EMQX's `{eq, "t/#"}`). */
export const ACL_EQ_PREFIX = 'eq ';
/** The longest regex ban pattern accepted (characters). */
export const MAX_BAN_REGEX_LENGTH = 512;

function invalid(message: string): RobustMQError {
  return new RobustMQError('RMQ_ERR_INVALID_ARGUMENT', message);
}

/** Non-empty, well-formed UTF-8 (no lone surrogate), no U+0000, at most 65535 bytes: an MQTT string. */
function checkMqttString(what: string, value: string, allowNul: boolean): void {
  if (value.length === 0) throw invalid(`${what} must not be empty`);
  if (/\p{Cs}/u.test(value)) throw invalid(`${what} is not valid UTF-8 (it holds a lone surrogate)`);
  if (!allowNul && value.includes('\u0000')) throw invalid(`${what} must not contain U+0000`); // [MQTT-1.5.4-2]
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > MAX_MQTT_STRING_BYTES) {
    throw invalid(`${what} is ${bytes} bytes long; at most ${MAX_MQTT_STRING_BYTES} bytes of UTF-8`);
  }
}

/** A username: what a client sends in CONNECT (an MQTT UTF-8 string). */
export function checkUsername(username: string): void {
  checkMqttString('username', username, false);
}

/** A password: non-empty UTF-8, at most 65535 bytes (the CONNECT Password field's limit). */
export function checkPassword(password: string): void {
  checkMqttString('password', password, true);
}

/**
 * An ACL rule's topic filter: a valid MQTT topic filter once the placeholders ${username} and
 * ${clientid} are put in; any other `${...}` is refused (a misspelt placeholder would never match),
 * and so are $share/ and $queue/ prefixes (a rule names the topic, not the subscription's group).
 * RMQ_ERR_TOPIC_INVALID when it is not.
 */
export function checkAclFilter(filter: string): void {
  const bad = (reason: string) => new RobustMQError('RMQ_ERR_TOPIC_INVALID', `ACL topic filter "${filter}": ${reason}`);
  if (Buffer.byteLength(filter) > MAX_MQTT_STRING_BYTES) throw bad('longer than 65535 bytes');
  if (filter.startsWith(ACL_EQ_PREFIX)) {
    // the literal form: the filter string as written, no placeholder is replaced in it
    const literal = filter.slice(ACL_EQ_PREFIX.length);
    const check = validateTopicFilter(literal);
    if (!check.ok) throw bad(check.reason!);
    return;
  }
  let plain = filter;
  for (const p of ACL_PLACEHOLDERS) plain = plain.replaceAll(p, 'x');
  const unknown = /\$\{[^}]*\}?/.exec(plain);
  if (unknown) throw bad(`unknown placeholder "${unknown[0]}" (only ${ACL_PLACEHOLDERS.join(' and ')})`);
  if (filter.startsWith('$share/') || filter.startsWith('$queue/')) {
    throw bad('a rule names the topic filter without the $share/{group}/ or $queue/ prefix');
  }
  const check = validateTopicFilter(plain);
  if (!check.ok) throw bad(check.reason!);
}

/** An ACL rule's QoS condition: a non-empty list of distinct QoS levels 0, 1, 2, returned sorted. */
export function checkAclQos(qos: readonly number[]): (0 | 1 | 2)[] {
  if (qos.length === 0) throw invalid('a QoS condition lists at least one of 0, 1, 2 (leave it out for any QoS)');
  for (const q of qos) {
    if (q !== 0 && q !== 1 && q !== 2) throw invalid(`a QoS condition holds 0, 1 and 2 only; got ${q}`);
  }
  return [...new Set(qos)].sort() as (0 | 1 | 2)[];
}

/** `0,1` (a flag's text) as a QoS list; RMQ_ERR_INVALID_ARGUMENT when it is not one. */
export function parseAclQos(text: string): (0 | 1 | 2)[] {
  const parts = text.split(',').map((p) => p.trim());
  if (parts.some((p) => !/^[0-2]$/.test(p)))
    throw invalid(`--qos takes QoS levels separated by commas (0,1); got "${text}"`);
  return checkAclQos(parts.map(Number));
}

/**
 * A regex ban's pattern: a JavaScript regular expression (matched against client ids and usernames),
 * at most MAX_BAN_REGEX_LENGTH characters, that compiles, and without a quantified group that holds a
 * quantifier ((a+)+, (a|b*)*...): such nesting can backtrack for exponential time on a crafted client id.
 */
export function checkBanRegex(pattern: string): RegExp {
  if (pattern.length === 0) throw invalid('a regex ban needs a pattern');
  if (pattern.length > MAX_BAN_REGEX_LENGTH) {
    throw invalid(`a regex ban's pattern is at most ${MAX_BAN_REGEX_LENGTH} characters; got ${pattern.length}`);
  }
  let re: RegExp;
  try {
    re = new RegExp(pattern, 'u');
  } catch (err) {
    throw invalid(`"${pattern}" is not a valid regular expression: ${(err as Error).message}`);
  }
  if (nestedQuantifier(pattern)) {
    throw invalid(
      `"${pattern}" repeats a group that itself holds a repetition (as in (a+)+): it can take exponential time on some client ids; write it without the nesting`,
    );
  }
  if (/\\[1-9]|\\k</.test(pattern)) throw invalid(`"${pattern}": back-references are not accepted in a regex ban`);
  return re;
}

/** Whether some group that holds a quantifier (*, +, {n,}) is itself followed by a quantifier. */
export function nestedQuantifier(pattern: string): boolean {
  // per open group: whether a quantifier appeared inside it
  const stack: boolean[] = [];
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\') {
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') inClass = true;
    else if (c === '(') stack.push(false);
    else if (c === ')') {
      const quantifiedInside = stack.pop() ?? false;
      const next = pattern[i + 1];
      const repeated = next === '*' || next === '+' || (next === '{' && /^\{\d*,/.test(pattern.slice(i + 1)));
      if (quantifiedInside && repeated) return true;
      if (quantifiedInside && stack.length > 0) stack[stack.length - 1] = true;
    } else if (c === '*' || c === '+' || (c === '{' && /^\{\d*,/.test(pattern.slice(i)))) {
      if (stack.length > 0) stack[stack.length - 1] = true;
    }
  }
  return false;
}

/** An IP address (v4 or v6) or a CIDR range (address/prefix): returned as given, trimmed. */
export function checkIpOrCidr(value: string): string {
  const v = value.trim();
  const slash = v.indexOf('/');
  const address = slash < 0 ? v : v.slice(0, slash);
  const family = isIP(address);
  if (family === 0)
    throw invalid(`"${value}" is not an IP address or a CIDR range (e.g. 10.0.0.7, 10.0.0.0/8, fd00::/8)`);
  if (slash >= 0) {
    const prefix = v.slice(slash + 1);
    const max = family === 4 ? 32 : 128;
    if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > max) {
      throw invalid(`"${value}": the prefix length of an IPv${family} range is 0-${max}`);
    }
  }
  return v;
}

/**
 * A ban's value for its kind: a client id or username (an MQTT string), an IP address / CIDR range,
 * or a regular expression (checkBanRegex).
 */
export function checkBanValue(kind: (typeof BAN_KINDS)[number], value: string): string {
  if (kind === 'ip') return checkIpOrCidr(value);
  if (kind === 'regex') {
    checkBanRegex(value);
    return value;
  }
  checkMqttString(kind === 'clientid' ? 'client id' : 'username', value, false);
  return value;
}
