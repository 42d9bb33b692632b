// The flags that name what a ban is on (`blacklist add` and `blacklist remove`): exactly one of
// --client-id, --username, --ip, --regex.
import { Flags } from '@oclif/core';
import type { BanKind } from '../admin-api.js';

const ONE = ['client-id', 'username', 'ip', 'regex'];

export const banTargetFlags = {
  'client-id': Flags.string({ summary: 'A client id.', exactlyOne: ONE }),
  username: Flags.string({ summary: 'A username.', exactlyOne: ONE }),
  ip: Flags.string({ summary: 'An IP address or CIDR range (10.0.0.7, 10.0.0.0/8, fd00::/8).', exactlyOne: ONE }),
  regex: Flags.string({
    summary: 'A JavaScript regular expression, matched against client ids and usernames (^bot-\\d+$).',
    exactlyOne: ONE,
  }),
};

export function banTarget(f: { 'client-id'?: string; username?: string; ip?: string; regex?: string }): {
  kind: BanKind;
  value: string;
} {
  if (f['client-id'] !== undefined) return { kind: 'clientid', value: f['client-id'] };
  if (f.username !== undefined) return { kind: 'username', value: f.username };
  if (f.regex !== undefined) return { kind: 'regex', value: f.regex };
  return { kind: 'ip', value: f.ip! };
}
