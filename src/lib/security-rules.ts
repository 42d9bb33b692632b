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
export const BAN_KINDS = ['clientid', 'username', 'ip'] as const;

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
  let plain = filter;
  for (const p of ACL_PLACEHOLDERS) plain = plain.replaceAll(p, 'x');
  const unknown = /\$\{[^}]*\}?/.exec(plain);
  if (unknown) throw bad(`unknown placeholder "${unknown[0]}" (only ${ACL_PLACEHOLDERS.join(' and ')})`);
  if (filter.startsWith('$share/') || filter.startsWith('$queue/')) {
    throw bad('a rule names the topic filter without the $share/{group}/ or $queue/ prefix');
  }
  const check = validateTopicFilter(plain);
  if (!check.ok) throw bad(check.reason!);
  if (Buffer.byteLength(filter) > MAX_MQTT_STRING_BYTES) throw bad('longer than 65535 bytes');
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

/** A ban's value for its kind: a client id or username (an MQTT string), or an IP address / CIDR range. */
export function checkBanValue(kind: (typeof BAN_KINDS)[number], value: string): string {
  if (kind === 'ip') return checkIpOrCidr(value);
  checkMqttString(kind === 'clientid' ? 'client id' : 'username', value, false);
  return value;
}
