// `robustmq-cli acl add`: appends an ACL rule (evaluated after the existing ones) and prints it with its id.
import { Flags } from '@oclif/core';
import type { AclPrincipalKind } from '../../lib/admin-api.js';
import { AdminCommand } from '../../lib/cli/admin-command.js';
import { renderAclRule } from '../../lib/cli/render-security.js';
import type { RobustMQError } from '../../lib/errors.js';
import { ACL_ACTIONS, ACL_PERMISSIONS, checkAclFilter } from '../../lib/security-rules.js';

const WHO = ['username', 'client-id', 'all'];

export default class AclAdd extends AdminCommand<typeof AclAdd> {
  static override summary = 'Add an ACL rule (it goes last in evaluation order) and print it with its id.';
  static override description =
    "The topic filter is an MQTT topic filter (+ and # wildcards) and may hold the placeholders ${username} and ${clientid}, replaced by the connecting client's values. Rules are stored now; evaluating them on PUBLISH and SUBSCRIBE comes with the authorization feature.";
  static override examples = [
    "<%= config.bin %> <%= command.id %> --permission allow --action publish --topic 'devices/${clientid}/#' --all",
    '<%= config.bin %> <%= command.id %> --permission deny --action subscribe --topic "\\$SYS/#" --username guest',
    '<%= config.bin %> <%= command.id %> --permission allow --action all --topic orders/+ --client-id svc-1 --json',
  ];
  static override flags = {
    permission: Flags.string({ summary: 'Allow or deny.', options: [...ACL_PERMISSIONS], required: true }),
    action: Flags.string({ summary: 'What the rule is about.', options: [...ACL_ACTIONS], required: true }),
    topic: Flags.string({ summary: 'Topic filter; ${username} and ${clientid} may appear in it.', required: true }),
    username: Flags.string({ summary: 'The rule applies to this username.', exactlyOne: WHO }),
    'client-id': Flags.string({ summary: 'The rule applies to this client id.', exactlyOne: WHO }),
    all: Flags.boolean({ summary: 'The rule applies to every client.', exactlyOne: WHO }),
  };

  async run(): Promise<void> {
    const f = this.flags;
    try {
      checkAclFilter(f.topic);
    } catch (err) {
      return this.usageError(err as RobustMQError);
    }
    const [principalKind, principal]: [AclPrincipalKind, string] =
      f.username !== undefined
        ? ['user', f.username]
        : f['client-id'] !== undefined
          ? ['client', f['client-id']]
          : ['all', ''];
    const rule = await this.adminApi().createAcl({
      principalKind,
      principal,
      filter: f.topic,
      action: f.action as (typeof ACL_ACTIONS)[number],
      permission: f.permission as (typeof ACL_PERMISSIONS)[number],
    });
    this.output(rule, () => `added ACL rule ${rule.id}\n${renderAclRule(rule, this.color)}`);
  }
}
