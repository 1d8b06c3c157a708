/**
 * JSON logs through pino. Each request gets a child logger carrying its
 * request id, so every line of one request can be found together.
 */
import { pino, type Logger } from 'pino';
import type { Config } from '../config/schema.js';

export type { Logger } from 'pino';

/** Creates the root logger from the `log` section; `fields` are added to every line. */
export function createLogger(log: Config['log'], destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level: log.level,
      base: { service: 'wharf', ...log.fields },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination ?? process.stdout,
  );
}
