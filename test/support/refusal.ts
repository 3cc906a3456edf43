import { DomainError } from '../../src/domain/errors.ts';

/**
 * Runs `run` and returns the DomainError it throws; fails (throws) when it returns, or throws
 * anything else. For unit tests of the domain rules.
 */
export function refusal(run: () => unknown): DomainError {
  try {
    run();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a DomainError, but nothing was thrown');
}
