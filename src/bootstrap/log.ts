import type pino from 'pino';

/** The part of a pino logger the bootstrap code uses. */
export type BootstrapLog = Pick<pino.Logger, 'debug' | 'info' | 'warn' | 'error'>;
