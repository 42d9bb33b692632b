// Protobuf payload validation: the .proto text is parsed with protobufjs (proto2 or proto3; imports
// of google/protobuf/*.proto well-known types only) and the payload walked field by field against
// the message type, strictly:
//  - the wire format itself: tags (field number 0, wire types 6 and 7, an END_GROUP without its
//    START_GROUP), varints over 10 bytes, lengths past the end, truncation; bytes after the message
//    are read as more fields of it (protobuf's own rule: concatenated messages merge), so garbage fails;
//  - each known field has the wire type its declared type gives (a packed repeated scalar may come
//    packed or not; a packed run must hold whole values);
//  - `string` fields hold valid UTF-8; nested messages, groups and map entries are walked the same way;
//  - proto2 `required` fields are present, at every level;
//  - a field number the message type does not declare is refused (as HiveMQ's default
//    allowUnknownFields = false): a producer on a newer schema must have the schema updated first.
// Not checked: integer ranges (an int32 sent as a 64-bit varint), enum values outside the enum
// (proto3 enums are open; proto2 keeps them as unknown), several members of one oneof (the last wins).
// RobustMQ 0.2.0's Protobuf check accepts anything; this one decodes.
import { isUtf8 } from 'node:buffer';
import protobuf from 'protobufjs';
import { invalidDefinition, type PayloadValidator } from './schema-payload.js';

const VARINT = 0;
const I64 = 1;
const LEN = 2;
const SGROUP = 3;
const EGROUP = 4;
const I32 = 5;

/** The wire type of each scalar type. */
const SCALAR_WIRE: Readonly<Record<string, number>> = {
  double: I64,
  float: I32,
  int32: VARINT,
  uint32: VARINT,
  sint32: VARINT,
  fixed32: I32,
  sfixed32: I32,
  int64: VARINT,
  uint64: VARINT,
  sint64: VARINT,
  fixed64: I64,
  sfixed64: I64,
  bool: VARINT,
  string: LEN,
  bytes: LEN,
};

/** Nesting of messages and groups walked at most (protobuf's own default recursion limit). */
const MAX_DEPTH = 100;

class Invalid extends Error {}

/** How one field is read: its wire type, and what its content is. */
interface FieldPlan {
  name: string;
  wire: number;
  /** A repeated scalar whose values may come packed in one LEN field. */
  packable: boolean;
  kind: 'scalar' | 'string' | 'message' | 'group' | 'map';
  message?: MessagePlan;
  /** Map entries: field 1 (key) and 2 (value). */
  entry?: MessagePlan;
}

interface MessagePlan {
  name: string;
  fields: Map<number, FieldPlan>;
  /** Field numbers of proto2 `required` fields. */
  required: number[];
}

function wireOfType(type: string, resolved: protobuf.ReflectionObject | null): number {
  if (resolved instanceof protobuf.Enum) return VARINT;
  if (resolved instanceof protobuf.Type) return LEN;
  const wire = SCALAR_WIRE[type];
  if (wire === undefined) throw new Error(`unsupported field type ${type}`);
  return wire;
}

/** The plan of a type, built once (recursive types share their plan). */
function planOf(type: protobuf.Type, plans: Map<protobuf.Type, MessagePlan>): MessagePlan {
  const known = plans.get(type);
  if (known) return known;
  const plan: MessagePlan = { name: type.fullName.replace(/^\./, ''), fields: new Map(), required: [] };
  plans.set(type, plan);
  for (const f of type.fieldsArray) {
    const field = f.resolve();
    if (field.required) plan.required.push(field.id);
    const resolved = field.resolvedType;
    if (field instanceof protobuf.MapField) {
      const mf = field;
      const keyWire = wireOfType(mf.keyType, null);
      const valueWire = wireOfType(mf.type, resolved);
      const entry: MessagePlan = { name: `${plan.name}.${field.name} entry`, fields: new Map(), required: [] };
      entry.fields.set(1, {
        name: 'key',
        wire: keyWire,
        packable: false,
        kind: mf.keyType === 'string' ? 'string' : 'scalar',
      });
      entry.fields.set(2, {
        name: 'value',
        wire: valueWire,
        packable: false,
        kind: resolved instanceof protobuf.Type ? 'message' : mf.type === 'string' ? 'string' : 'scalar',
        message: resolved instanceof protobuf.Type ? planOf(resolved, plans) : undefined,
      });
      plan.fields.set(field.id, { name: field.name, wire: LEN, packable: false, kind: 'map', entry });
      continue;
    }
    if (resolved instanceof protobuf.Type) {
      const group = field.delimited === true || (resolved as protobuf.Type & { group?: boolean }).group === true;
      plan.fields.set(field.id, {
        name: field.name,
        wire: group ? SGROUP : LEN,
        packable: false,
        kind: group ? 'group' : 'message',
        message: planOf(resolved, plans),
      });
      continue;
    }
    const wire = wireOfType(field.type, resolved);
    plan.fields.set(field.id, {
      name: field.name,
      wire,
      packable: field.repeated && wire !== LEN,
      kind: field.type === 'string' ? 'string' : 'scalar',
    });
  }
  return plan;
}

/** Reads the payload of one message (between pos and end, or up to its END_GROUP). */
class Walker {
  pos = 0;
  constructor(private readonly buf: Buffer) {}

  varint(): number {
    // the value matters for lengths and tags only: past 2^53 precision is lost, never the position
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.buf.length) throw new Invalid('truncated varint');
      const b = this.buf[this.pos++]!;
      value += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return value;
      scale *= 128;
    }
    throw new Invalid('varint longer than 10 bytes');
  }

  skip(n: number, end: number): void {
    if (this.pos + n > end) throw new Invalid('truncated field');
    this.pos += n;
  }

  /** The range of a LEN field's content. */
  delimited(end: number): [number, number] {
    const len = this.varint();
    if (this.pos + len > end) throw new Invalid(`length ${len} past the end`);
    const start = this.pos;
    this.pos += len;
    return [start, this.pos];
  }

  /** Walks a message up to `end`, or (group = its field number) up to its END_GROUP. */
  message(plan: MessagePlan, end: number, depth: number, group?: number): void {
    if (depth > MAX_DEPTH) throw new Invalid(`messages nested more than ${MAX_DEPTH} deep`);
    const seen = plan.required.length > 0 ? new Set<number>() : undefined;
    for (;;) {
      if (this.pos >= end) {
        if (group !== undefined) throw new Invalid(`group ${group} has no END_GROUP`);
        break;
      }
      const tag = this.varint();
      const id = Math.floor(tag / 8);
      const wire = tag % 8;
      if (id === 0 || id > 536_870_911) throw new Invalid(`field number ${id} is out of range`);
      if (wire === EGROUP) {
        if (id !== group) throw new Invalid(`END_GROUP of field ${id} without its START_GROUP`);
        break;
      }
      if (wire > I32) throw new Invalid(`invalid wire type ${wire} (field ${id})`);
      const field = plan.fields.get(id);
      if (!field) throw new Invalid(`${plan.name} has no field ${id}`);
      seen?.add(id);
      this.field(plan, field, id, wire, end, depth);
    }
    if (seen) {
      for (const id of plan.required) {
        if (!seen.has(id)) throw new Invalid(`${plan.name}.${plan.fields.get(id)!.name} (required) is missing`);
      }
    }
  }

  private field(plan: MessagePlan, field: FieldPlan, id: number, wire: number, end: number, depth: number): void {
    if (wire !== field.wire) {
      if (field.packable && wire === LEN) return this.packed(field, end);
      throw new Invalid(`${plan.name}.${field.name} (field ${id}) has wire type ${wire}, not ${field.wire}`);
    }
    switch (wire) {
      case VARINT:
        this.varint();
        return;
      case I64:
        return this.skip(8, end);
      case I32:
        return this.skip(4, end);
      case SGROUP:
        return this.message(field.message!, end, depth + 1, id);
    }
    const [start, stop] = this.delimited(end);
    if (field.kind === 'string') {
      if (!isUtf8(this.buf.subarray(start, stop))) throw new Invalid(`${plan.name}.${field.name} is not valid UTF-8`);
    } else if (field.kind === 'message' || field.kind === 'map') {
      this.pos = start;
      this.message(field.kind === 'map' ? field.entry! : field.message!, stop, depth + 1);
      if (this.pos !== stop) throw new Invalid(`${plan.name}.${field.name} does not end where its length says`);
    }
  }

  /** A packed run of scalars: whole values only. */
  private packed(field: FieldPlan, end: number): void {
    const [start, stop] = this.delimited(end);
    const size = stop - start;
    if (field.wire === I64 && size % 8 !== 0)
      throw new Invalid(`packed ${field.name} is not a whole number of 8-byte values`);
    if (field.wire === I32 && size % 4 !== 0)
      throw new Invalid(`packed ${field.name} is not a whole number of 4-byte values`);
    if (field.wire === VARINT) {
      this.pos = start;
      while (this.pos < stop) this.varint();
      if (this.pos !== stop) throw new Invalid(`packed ${field.name} ends inside a varint`);
    }
  }
}

/** The message types a definition declares, by full name (without the leading dot). */
function messageTypes(ns: protobuf.NamespaceBase, out: string[] = []): string[] {
  for (const child of ns.nestedArray) {
    if (child instanceof protobuf.Type) out.push(child.fullName.replace(/^\./, ''));
    if (child instanceof protobuf.Namespace || child instanceof protobuf.Type) messageTypes(child, out);
  }
  return out;
}

function parseDefinition(definition: string): protobuf.Root {
  const parsed = protobuf.parse(definition, new protobuf.Root(), { keepCase: true, alternateCommentMode: true });
  const root = parsed.root;
  for (const file of [...(parsed.imports ?? []), ...(parsed.weakImports ?? [])]) {
    const common = file.startsWith('google/protobuf/') ? protobuf.common.get(file) : null;
    if (!common) {
      throw new Error(
        `import "${file}" cannot be resolved: put every message the type needs in this one definition (only google/protobuf/*.proto well-known types are imported)`,
      );
    }
    root.addJSON((common as { nested: Record<string, protobuf.AnyNestedObject> }).nested);
  }
  root.resolveAll();
  return root;
}

/** The message type: `messageType` ('' = the only one the definition declares). */
function findType(root: protobuf.Root, messageType: string): protobuf.Type {
  const own = messageTypes(root).filter((n) => !n.startsWith('google.protobuf.'));
  if (messageType === '') {
    if (own.length === 1) return root.lookupType(own[0]!);
    throw new Error(
      own.length === 0
        ? 'the definition declares no message'
        : `the definition declares ${own.length} messages (${own.slice(0, 10).join(', ')}): name one with --message-type`,
    );
  }
  const found = root.lookup(messageType.replace(/^\./, ''));
  if (!(found instanceof protobuf.Type)) {
    throw new Error(`no message type "${messageType}" in the definition (it declares ${own.slice(0, 10).join(', ')})`);
  }
  return found;
}

/** The message type's full name ('' resolved to the only one), or the error of the definition. */
export function compileProtobufSchema(
  definition: string,
  messageType: string,
): PayloadValidator & { messageType: string } {
  let plan: MessagePlan;
  try {
    const type = findType(parseDefinition(definition), messageType);
    plan = planOf(type, new Map());
  } catch (err) {
    throw invalidDefinition('Protobuf', err);
  }
  return {
    messageType: plan.name,
    validate(payload: Buffer): string | undefined {
      const walker = new Walker(payload);
      try {
        walker.message(plan, payload.length, 0);
        return undefined;
      } catch (err) {
        if (err instanceof Invalid) return `not a ${plan.name}: ${err.message}`;
        throw err;
      }
    },
  };
}
