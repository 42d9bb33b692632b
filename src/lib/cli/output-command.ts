// What every robustmq-cli command with output shares (admin, MQTT-client and local commands): the
// format and colour chosen by the output flags, printing the result, and the error convention of
// command-errors.ts (one line on stderr with its RMQ_ERR_* code, a documented exit code).
import { Command } from '@oclif/core';
import type { RobustMQError } from '../errors.js';
import { errorExit, usageExit } from './command-errors.js';
import { outputMode, printOutput, type OutputFormat } from './render.js';

export abstract class OutputCommand extends Command {
  protected format: OutputFormat = 'table';
  protected color = false;

  /** Reads the output flags (see render.ts outputFlags) once they are parsed. */
  protected async useOutputFlags(flags: { output: string; json: boolean; 'no-color': boolean }): Promise<void> {
    ({ format: this.format, color: this.color } = await outputMode(flags));
  }

  /** Prints `value` as a JSON or YAML document in those formats, else what `table()` renders. */
  protected output(value: unknown, table: () => string): void {
    printOutput(this.format, value, table);
  }

  protected override async catch(err: Error & { code?: string; exitCode?: number }): Promise<unknown> {
    const known = errorExit(err, this.id);
    return known ? this.fail(known.line, known.code) : super.catch(err);
  }

  /** A flag value the command itself found wrong: one line, exit 2 (usage), nothing sent. */
  protected usageError(err: RobustMQError): never {
    const { line, code } = usageExit(err, this.id);
    return this.fail(line, code);
  }

  protected fail(line: string, code: number): never {
    process.stderr.write(`Error: ${line}\n`);
    return this.exit(code);
  }
}
