// `robustmq-cli schema bind NAME --topic FILTER`: PUBLISHes to topics matching the filter must match the schema.
import { Args, Flags } from '@oclif/core';
import { AdminCommand } from '../../lib/cli/admin-command.js';
import { renderSchemaBinding } from '../../lib/cli/render-schema.js';

export default class SchemaBind extends AdminCommand<typeof SchemaBind> {
  static override summary = 'Bind a payload schema to a topic filter.';
  static override description =
    'From then on a PUBLISH to a matching topic must match every schema bound to a matching filter; one that does not is handled as schema.on_invalid says (reject: v5 PUBACK/PUBREC 0x99 Payload format invalid, not delivered). Binding again changes nothing.';
  static override examples = [
    "<%= config.bin %> <%= command.id %> reading --topic 'sensors/+/reading'",
    "<%= config.bin %> <%= command.id %> reading --topic 'factory/#' --json",
  ];
  static override args = { name: Args.string({ description: 'Schema name.', required: true }) };
  static override flags = {
    topic: Flags.string({ summary: "Topic filter ('+' and '#' allowed).", required: true }),
  };

  async run(): Promise<void> {
    const { args } = await this.parse(SchemaBind);
    const binding = await this.adminApi().bindSchema(args.name, this.flags.topic);
    this.output(
      binding,
      () => `bound schema ${binding.schema} to ${binding.topic}\n${renderSchemaBinding(binding, this.color)}`,
    );
  }
}
