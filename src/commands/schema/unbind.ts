// `robustmq-cli schema unbind NAME --topic FILTER`: PUBLISHes to that filter are no longer checked against the schema.
import { Args, Flags } from '@oclif/core';
import { AdminCommand } from '../../lib/cli/admin-command.js';

export default class SchemaUnbind extends AdminCommand<typeof SchemaUnbind> {
  static override summary = 'Unbind a payload schema from a topic filter.';
  static override examples = [
    "<%= config.bin %> <%= command.id %> reading --topic 'sensors/+/reading'",
    "<%= config.bin %> <%= command.id %> reading --topic 'factory/#' --json",
  ];
  static override args = { name: Args.string({ description: 'Schema name.', required: true }) };
  static override flags = {
    topic: Flags.string({ summary: 'The topic filter, as schema list shows it.', required: true }),
  };

  async run(): Promise<void> {
    const { args } = await this.parse(SchemaUnbind);
    await this.adminApi().unbindSchema(args.name, this.flags.topic);
    this.output(
      { unbound: { schema: args.name, topic: this.flags.topic } },
      () => `unbound schema ${args.name} from ${this.flags.topic}`,
    );
  }
}
