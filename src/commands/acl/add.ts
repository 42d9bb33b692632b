// `robustmq-cli acl add`: appends an ACL rule (evaluated after the existing ones) and prints it with its id.
import { Flags } from '@oclif/core';
import type { AclPrincipalKind } from '../../lib/admin-api.js';
import { AdminCommand } from '../../lib/cli/admin-command.js';
import { renderAclRule } from '../../lib/cli/render-security.js';
import type { RobustMQError } from '../../lib/errors.js';
import { ACL_ACTIONS, ACL_PERMISSIONS, checkAclFilter, checkIpOrCidr, parseAclQos } from '../../lib/security-rules.js';

const WHO = ['username', 'client-id', 'ip', 'all'];

export default class AclAdd extends AdminCommand<typeof AclAdd> {
  static override summary = 'Add an ACL rule (it goes last in evaluation order) and print it with its id.';
  static override description =
    "The topic filter is an MQTT topic filter (+ and # wildcards) and may hold the placeholders ${username} and ${clientid}, replaced by the connecting client's values; 'eq <filter>' matches that filter string only (no wildcard matching, no placeholders). On each PUBLISH and SUBSCRIBE the rules are read in order and the first one that matches decides; when none matches, acl.no_match decides.";
  static override examples = [
    "<%= config.bin %> <%= command.id %> --permission allow --action publish --topic 'devices/${clientid}/#' --all",
    '<%= config.bin %> <%= command.id %> --permission deny --action subscribe --topic "\\$SYS/#" --username guest',
    '<%= config.bin %> <%= command.id %> --permission allow --action all --topic orders/+ --client-id svc-1 --json',
    "<%= config.bin %> <%= command.id %> --permission deny --action publish --topic '#' --ip 10.0.0.0/8 --qos 2 --retain true",
    "<%= config.bin %> <%= command.id %> --permission deny --action subscribe --topic 'eq sensors/#' --all",
  ];
  static override flags = {
    permission: Flags.string({ summary: 'Allow or deny.', options: [...ACL_PERMISSIONS], required: true }),
    action: Flags.string({ summary: 'What the rule is about.', options: [...ACL_ACTIONS], required: true }),
    topic: Flags.string({ summary: 'Topic filter; ${username} and ${clientid} may appear in it.', required: true }),
    username: Flags.string({ summary: 'The rule applies to this username.', exactlyOne: WHO }),
    'client-id': Flags.string({ summary: 'The rule applies to this client id.', exactlyOne: WHO }),
    ip: Flags.string({
      summary: 'The rule applies to clients connecting from this IP address or CIDR range.',
      exactlyOne: WHO,
    }),
    all: Flags.boolean({ summary: 'The rule applies to every client.', exactlyOne: WHO }),
    qos: Flags.string({ summary: 'Only for these QoS levels, e.g. 0,1 (default: any QoS).' }),
    retain: Flags.string({
      summary: 'Only for PUBLISHes with (true) or without (false) the RETAIN flag (default: either).',
      options: ['true', 'false'],
    }),
  };

  async run(): Promise<void> {
    const f = this.flags;
    let qos: number[] | undefined;
    try {
      checkAclFilter(f.topic);
      if (f.ip !== undefined) checkIpOrCidr(f.ip);
      if (f.qos !== undefined) qos = parseAclQos(f.qos);
    } catch (err) {
      return this.usageError(err as RobustMQError);
    }
    const [principalKind, principal]: [AclPrincipalKind, string] =
      f.username !== undefined
        ? ['user', f.username]
        : f['client-id'] !== undefined
          ? ['client', f['client-id']]
          : f.ip !== undefined
            ? ['ip', f.ip]
            : ['all', ''];
    const rule = await this.adminApi().createAcl({
      principalKind,
      principal,
      filter: f.topic,
      action: f.action as (typeof ACL_ACTIONS)[number],
      permission: f.permission as (typeof ACL_PERMISSIONS)[number],
      qos,
      retain: f.retain === undefined ? undefined : f.retain === 'true',
    });
    this.output(rule, () => `added ACL rule ${rule.id}\n${renderAclRule(rule, this.color)}`);
  }
}
