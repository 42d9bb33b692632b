// Output of the admin commands: a table (cli-table3) or key/value list for people, JSON or YAML for
// scripts. In JSON and YAML mode stdout holds the document and nothing else.
import { Flags } from '@oclif/core';
import Table from 'cli-table3';

export type OutputFormat = 'table' | 'json' | 'yaml';

export interface Column<T> {
  header: string;
  value: (row: T) => string | number | boolean;
}

export function renderTable<T>(rows: readonly T[], columns: readonly Column<T>[], color: boolean): string {
  const table = new Table({
    head: columns.map((c) => c.header),
    style: { head: color ? ['cyan'] : [], border: color ? ['grey'] : [] },
  });
  for (const row of rows) table.push(columns.map((c) => String(c.value(row))));
  return table.toString();
}

/** One record as a two-column table: field, value. */
export function renderRecord(fields: readonly [string, string | number | boolean][], color: boolean): string {
  const table = new Table({ style: { head: [], border: color ? ['grey'] : [] } });
  for (const [k, v] of fields) table.push({ [k]: String(v) });
  return table.toString();
}

/** The MQTT version of a protocol level (3, 4, 5) as people know it. */
export function mqttVersionText(level: number): string {
  return ({ 3: '3.1', 4: '3.1.1', 5: '5.0' } as Record<number, string>)[level] ?? '?';
}

export function renderJson(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

let toYaml: ((value: unknown) => string) | undefined;

/** Loads the YAML library: only a command that prints YAML pays for it at start-up. */
export async function loadYaml(): Promise<void> {
  toYaml ??= (await import('yaml')).stringify;
}

/** The same document as renderJson, as YAML (no trailing newline); loadYaml() first. */
export function renderYaml(value: unknown): string {
  if (!toYaml) throw new Error('renderYaml before loadYaml');
  return toYaml(value).trimEnd();
}

/** The output flags every command with output shares (admin, MQTT-client and local commands). */
export const outputFlags = {
  output: Flags.string({
    char: 'o',
    summary: 'Output format.',
    options: ['table', 'json', 'yaml'],
    default: 'table',
    helpGroup: 'GLOBAL',
  }),
  json: Flags.boolean({ summary: 'Print JSON only (same as --output json).', helpGroup: 'GLOBAL' }),
  'no-color': Flags.boolean({ summary: 'No colours in tables (also when NO_COLOR is set).', helpGroup: 'GLOBAL' }),
};

/** The format and colour the output flags ask for (YAML loaded when it is chosen). */
export async function outputMode(flags: {
  output: string;
  json: boolean;
  'no-color': boolean;
}): Promise<{ format: OutputFormat; color: boolean }> {
  const format = flags.json ? 'json' : (flags.output as OutputFormat);
  if (format === 'yaml') await loadYaml();
  const color = !flags['no-color'] && process.env.NO_COLOR === undefined && Boolean(process.stdout.isTTY);
  return { format, color };
}

/** Prints `value` as a JSON or YAML document in those formats, else what `table()` renders. */
export function printOutput(format: OutputFormat, value: unknown, table: () => string): void {
  const text = format === 'json' ? renderJson(value) : format === 'yaml' ? renderYaml(value) : table();
  process.stdout.write(`${text}\n`);
}

/** A duration in ms as `1d 2h 3m 4s` (the largest units only). */
export function formatDuration(ms: number): string {
  let s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400);
  s -= d * 86400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  const parts = [d ? `${d}d` : '', h ? `${h}h` : '', m ? `${m}m` : '', s || !(d || h || m) ? `${s}s` : ''].filter(
    Boolean,
  );
  return parts.slice(0, 3).join(' ');
}
