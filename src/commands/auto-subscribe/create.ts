// `robustmq-cli auto-subscribe create`: a subscription every client gets when it connects (stored: survives a restart).
import { Flags } from '@oclif/core';
import { AdminCommand } from '../../lib/cli/admin-command.js';
import { renderAutoSubscribes } from '../../lib/cli/render-subscription-features.js';

export default class AutoSubscribeCreate extends AdminCommand<typeof AutoSubscribeCreate> {
  static override summary = 'Add a subscription that every client gets when it connects, without a SUBSCRIBE.';
  static override description =
    "The topic may hold ${clientid}, ${username} and ${host} (the client's IP address), filled for each client; a rule whose placeholder has no value for a client (no username) is skipped for it. The rule applies to clients that connect from now on, through the ACL like a SUBSCRIBE (a denied rule is skipped and logged). --no-local, --retain-as-published and --retain-handling are MQTT 5 options: a 3.1.1 client gets the retained messages at every connect, as 3.1.1 defines.";
  static override examples = [
    "<%= config.bin %> <%= command.id %> --topic 'devices/${clientid}/commands' --qos 1",
    "<%= config.bin %> <%= command.id %> --topic 'broadcast/#' --retain-handling 1 --json",
    "<%= config.bin %> <%= command.id %> --topic 'users/${username}/inbox' --qos 2 --no-local",
  ];
  static override flags = {
    topic: Flags.string({ summary: 'Topic filter (may hold ${clientid}, ${username}, ${host}).', required: true }),
    qos: Flags.integer({ summary: 'QoS of the subscription (0, 1 or 2).', default: 0, min: 0, max: 2 }),
    'no-local': Flags.boolean({ summary: "MQTT 5 No Local: the client's own messages are not sent back to it." }),
    'retain-as-published': Flags.boolean({ summary: 'MQTT 5 Retain As Published: keep the RETAIN flag as published.' }),
    'retain-handling': Flags.integer({
      summary: 'MQTT 5 Retain Handling: 0 retained messages at every connect, 1 only for a new subscription, 2 never.',
      default: 0,
      min: 0,
      max: 2,
    }),
  };

  async run(): Promise<void> {
    const f = this.flags;
    const rule = await this.adminApi().createAutoSubscribe({
      topic: f.topic,
      qos: f.qos,
      noLocal: f['no-local'],
      retainAsPublished: f['retain-as-published'],
      retainHandling: f['retain-handling'],
    });
    this.output(rule, () => `created auto-subscribe rule ${rule.id}\n${renderAutoSubscribes([rule], this.color)}`);
  }
}
