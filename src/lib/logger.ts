// Structured logging: one pino logger factory so every part logs the same shape.
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export function createLogger(level: LevelWithSilent = 'info', name = 'robustmq'): Logger {
  return pino({ name, level, base: { pid: process.pid } });
}

export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
