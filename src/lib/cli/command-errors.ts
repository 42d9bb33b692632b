// The error convention every robustmq-cli command shares (admin and MQTT-client commands alike): one
// line on stderr, `Error: RMQ_ERR_<CODE>: <reason>`, and a documented exit code (docs/cli.md).
import type { RobustMQError } from '../errors.js';
import { isRobustMQError } from '../errors.js';
import { usageErrorLine } from './usage-error.js';

/**
 * 4: the admin endpoint refused the call (no valid token or client certificate).
 * 27: `message subscribe -W` ran out of time before it had the messages it waited for (the code
 * mosquitto_sub uses for a -W time-out, so scripts written for it keep working).
 */
export const EXIT = { ok: 0, server: 1, usage: 2, unreachable: 3, unauthorized: 4, timeout: 27 } as const;

export interface ErrorExit {
  line: string;
  code: number;
}

/** How a command reports `err`; undefined for errors that are not ours (oclif reports those itself). */
export function errorExit(err: unknown, commandId: string | undefined): ErrorExit | undefined {
  if (isRobustMQError(err) && err.code === 'RMQ_ERR_UNAUTHORIZED') {
    // 4: the admin endpoint wants a token or a client certificate this call did not have
    const why = err.message.split(';')[0]!;
    const fix = /certificate/.test(why)
      ? "pass a client certificate signed by the broker's admin.tls_ca with --tls-cert and --tls-key"
      : 'pass an admin token with --token or set ROBUSTMQ_TOKEN';
    return { line: `${err.code}: the admin endpoint refused the call (${why}); ${fix}`, code: EXIT.unauthorized };
  }
  if (isRobustMQError(err)) {
    return {
      line: `${err.code}: ${err.message}`,
      code:
        err.code === 'RMQ_ERR_UNREACHABLE'
          ? EXIT.unreachable
          : err.code === 'RMQ_ERR_CONTEXT_NOT_FOUND' // what was typed names no saved context
            ? EXIT.usage
            : EXIT.server,
    };
  }
  const line = usageErrorLine(err);
  if (line !== undefined) return { line: `${line} (see ${helpCommand(commandId)})`, code: EXIT.usage };
  return undefined;
}

/** A flag value the command itself found wrong: exit 2, with the help command to run. */
export function usageExit(err: RobustMQError, commandId: string | undefined): ErrorExit {
  return { line: `${err.code}: ${err.message} (see ${helpCommand(commandId)})`, code: EXIT.usage };
}

function helpCommand(commandId: string | undefined): string {
  return `robustmq-cli ${(commandId ?? '').replaceAll(':', ' ')} --help`;
}
