// The base of commands that work on this machine only (`context ...`): --output/--json and --no-color
// like the admin commands, and the same error convention: one line on stderr with its RMQ_ERR_* code,
// exit 2 for a usage error (a bad flag, an unknown context, a bad name or address), 1 otherwise.
import { Command, type Interfaces } from '@oclif/core';
import { isRobustMQError } from '../errors.js';
import { EXIT } from './admin-command.js';
import { outputFlags, outputMode, printOutput, type OutputFormat } from './render.js';
import { usageErrorLine } from './usage-error.js';

export type LocalFlags<T extends typeof Command> = Interfaces.InferredFlags<
  (typeof LocalCommand)['baseFlags'] & T['flags']
>;

/** Errors the user fixes by changing what they typed: exit 2. */
const USAGE_CODES = new Set(['RMQ_ERR_INVALID_ARGUMENT', 'RMQ_ERR_CONTEXT_NOT_FOUND']);

export abstract class LocalCommand<T extends typeof Command> extends Command {
  static override baseFlags = {
    ...outputFlags,
  };

  protected flags!: LocalFlags<T>;
  protected args!: Interfaces.InferredArgs<T['args']>;
  protected format: OutputFormat = 'table';
  protected color = false;

  public override async init(): Promise<void> {
    await super.init();
    const { flags, args } = await this.parse({
      flags: this.ctor.flags,
      baseFlags: (this.ctor as unknown as typeof LocalCommand).baseFlags,
      args: this.ctor.args,
      strict: this.ctor.strict,
    });
    this.flags = flags as LocalFlags<T>;
    this.args = args as Interfaces.InferredArgs<T['args']>;
    ({ format: this.format, color: this.color } = await outputMode(flags));
  }

  /** Prints `value` as JSON or YAML in those modes, else what `table()` renders. */
  protected output(value: unknown, table: () => string): void {
    printOutput(this.format, value, table);
  }

  protected override async catch(err: Error & { code?: string; exitCode?: number }): Promise<unknown> {
    if (isRobustMQError(err)) {
      return this.fail(`${err.code}: ${err.message}`, USAGE_CODES.has(err.code) ? EXIT.usage : EXIT.server);
    }
    const line = usageErrorLine(err);
    if (line !== undefined) {
      return this.fail(`${line} (see robustmq-cli ${(this.id ?? '').replaceAll(':', ' ')} --help)`, EXIT.usage);
    }
    return super.catch(err);
  }

  private fail(line: string, code: number): never {
    process.stderr.write(`Error: ${line}\n`);
    return this.exit(code);
  }
}
