// The base of commands that work on this machine only (`context ...`): --output/--json and --no-color
// like the admin commands, and the same error convention: one line on stderr with its RMQ_ERR_* code,
// exit 2 for a usage error (a bad flag, an unknown context, a bad name or address), 1 otherwise.
import { Command, type Interfaces } from '@oclif/core';
import { isRobustMQError } from '../errors.js';
import { EXIT } from './admin-command.js';
import { OutputCommand } from './output-command.js';
import { outputFlags } from './render.js';

export type LocalFlags<T extends typeof Command> = Interfaces.InferredFlags<
  (typeof LocalCommand)['baseFlags'] & T['flags']
>;

/** Errors the user fixes by changing what they typed: exit 2. */
const USAGE_CODES = new Set(['RMQ_ERR_INVALID_ARGUMENT', 'RMQ_ERR_CONTEXT_NOT_FOUND']);

export abstract class LocalCommand<T extends typeof Command> extends OutputCommand {
  static override baseFlags = {
    ...outputFlags,
  };

  protected flags!: LocalFlags<T>;
  protected args!: Interfaces.InferredArgs<T['args']>;

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
    await this.useOutputFlags(flags);
  }

  protected override async catch(err: Error & { code?: string; exitCode?: number }): Promise<unknown> {
    if (isRobustMQError(err) && USAGE_CODES.has(err.code)) return this.fail(`${err.code}: ${err.message}`, EXIT.usage);
    return super.catch(err);
  }
}
