// `robustmq-cli client kick CLIENT_ID`: disconnect a client; its session stays or ends as its expiry says.
import { Args } from '@oclif/core';
import { AdminCommand } from '../../lib/cli/admin-command.js';

export default class ClientKick extends AdminCommand<typeof ClientKick> {
  static override summary = 'Disconnect a client (MQTT 5 clients get DISCONNECT 0x98, Administrative action).';
  static override description =
    'The session is not deleted: a persistent session waits for the client as its Session Expiry Interval says, and its will is published as on any disconnection the client did not ask for. There is no prompt.';
  static override examples = ['<%= config.bin %> <%= command.id %> sensor-42'];
  static override args = { 'client-id': Args.string({ description: 'Client identifier.', required: true }) };

  async run(): Promise<void> {
    const { args } = await this.parse(ClientKick);
    await this.adminApi().kickClient(args['client-id']);
    this.output({ kicked: args['client-id'] }, () => `disconnected client ${args['client-id']}`);
  }
}
