// Conversions between mqtt-packet's user-property objects and our ordered pairs.
import type { UserProperty } from '../message.js';

export function userPropertiesToPairs(obj: Record<string, string | string[]>): UserProperty[] {
  const out: UserProperty[] = [];
  for (const [k, v] of Object.entries(obj)) {
    if (Array.isArray(v)) for (const x of v) out.push([k, String(x)]);
    else out.push([k, String(v)]);
  }
  return out;
}
