// A usage error from oclif's flag parser as one line: its message without the line breaks and the
// "See more help" hint, which the caller replaces with the exact --help command.
import { Errors } from '@oclif/core';

/** The one-line reason of a parse error; undefined for anything else (and for oclif's own exit). */
export function usageErrorLine(err: unknown): string | undefined {
  if (!(err instanceof Errors.CLIError) || (err as { code?: string }).code === 'EEXIT') return undefined;
  return err.message
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('See more help'))
    .join(' ');
}
