// `robustmq-cli session delete CLIENT_ID`: end a session and remove it from storage (a connected
// client is disconnected first).
import { Args } from '@oclif/core';
import { AdminCommand } from '../../lib/cli/admin-command.js';

export default class SessionDelete extends AdminCommand<typeof SessionDelete> {
  static override summary = 'End a session and remove it from storage, disconnecting its client if it is connected.';
  static override description =
    'A connected client is disconnected first (MQTT 5 clients get DISCONNECT 0x98, Administrative action) and its will is published as on any disconnection it did not ask for. Its subscriptions, queued and in-flight messages are discarded: a reconnect with clean start 0 finds no session (session present 0). Unlike `client kick`, which keeps the session. There is no prompt.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> sensor-42',
    '<%= config.bin %> <%= command.id %> sensor-42 --json',
  ];
  static override args = { 'client-id': Args.string({ description: 'Client identifier.', required: true }) };

  async run(): Promise<void> {
    const { args } = await this.parse(SessionDelete);
    await this.adminApi().deleteSession(args['client-id']);
    this.output({ deleted: args['client-id'] }, () => `deleted the session of client ${args['client-id']}`);
  }
}
