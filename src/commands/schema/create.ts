// `robustmq-cli schema create`: a payload schema (JSON Schema, Avro or Protobuf), compiled by the broker before it is stored.
import { readFileSync } from 'node:fs';
import { Flags } from '@oclif/core';
import { SCHEMA_TYPES, type SchemaType } from '../../lib/admin-api.js';
import { AdminCommand } from '../../lib/cli/admin-command.js';
import { renderSchema } from '../../lib/cli/render-schema.js';
import { RobustMQError } from '../../lib/errors.js';

export default class SchemaCreate extends AdminCommand<typeof SchemaCreate> {
  static override summary = 'Create a payload schema: JSON Schema, Avro or Protobuf.';
  static override description =
    'The broker compiles the definition first: one that does not compile is refused with the reason (exit 1). A schema checks nothing until it is bound to topic filters (schema bind). JSON: draft 2020-12 (default), 2019-09 or draft-07 by "$schema"; payloads are UTF-8 JSON. Avro: payloads are one datum in the binary encoding. Protobuf: .proto text (proto2 or proto3); --message-type names the message payloads are (optional when the file declares one).';
  static override examples = [
    '<%= config.bin %> <%= command.id %> --name reading --type json --definition \'{"type":"object","required":["t"],"properties":{"t":{"type":"number"}}}\'',
    '<%= config.bin %> <%= command.id %> --name reading-avro --type avro --file reading.avsc',
    '<%= config.bin %> <%= command.id %> --name reading-pb --type protobuf --file reading.proto --message-type sensors.Reading --json',
  ];
  static override flags = {
    name: Flags.string({ summary: "Schema name: 1 to 64 letters, digits, '_', '-' or '.'.", required: true }),
    type: Flags.string({ summary: 'The kind of schema.', options: [...SCHEMA_TYPES], required: true }),
    file: Flags.string({ summary: 'A file holding the definition.', exactlyOne: ['file', 'definition'] }),
    definition: Flags.string({ summary: 'The definition itself.', exactlyOne: ['file', 'definition'] }),
    'message-type': Flags.string({ summary: 'Protobuf: the message type payloads are (e.g. sensors.Reading).' }),
    description: Flags.string({ summary: 'What it is for (shown by schema list).' }),
  };

  async run(): Promise<void> {
    const f = this.flags;
    let definition = f.definition;
    if (f.file !== undefined) {
      try {
        definition = readFileSync(f.file, 'utf8');
      } catch (err) {
        return this.usageError(
          new RobustMQError('RMQ_ERR_INVALID_ARGUMENT', `--file: cannot read ${f.file}: ${(err as Error).message}`),
        );
      }
    }
    const schema = await this.adminApi().createSchema({
      name: f.name,
      type: f.type as SchemaType,
      definition: definition ?? '',
      messageType: f['message-type'],
      description: f.description,
    });
    this.output(schema, () => `created schema ${schema.name}\n${renderSchema(schema, this.color)}`);
  }
}
