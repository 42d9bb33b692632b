// Durations on the command line: "7d", "12h", "30m", "45s", "500ms", or a plain number of
// milliseconds; "0" means no limit where a flag says so.
import { RobustMQError } from '../errors.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

export function parseDuration(text: string, flag: string): number {
  const m = /^(\d+)(ms|s|m|h|d|w)?$/.exec(text.trim());
  const ms = m ? Number(m[1]) * UNITS[m[2] ?? 'ms']! : NaN;
  if (!Number.isSafeInteger(ms)) {
    throw new RobustMQError(
      'RMQ_ERR_INVALID_ARGUMENT',
      `${flag} must be a duration like 7d, 12h, 30m, 45s or 500ms (0 = no limit); got "${text}"`,
    );
  }
  return ms;
}
