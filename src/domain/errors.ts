/**
 * Why a use case was refused, in the words of the domain. Application services and domain rules
 * throw {@link DomainError}; the call pipeline maps its kind to the gRPC status of the same name
 * (src/grpc/errors.ts), so handlers need no error translation of their own. The message is written
 * for the person calling: what is wrong and what to do; it never holds secrets, SQL or stack traces.
 */

/** The kinds of refusal, each a gRPC status of the same meaning. */
export type DomainErrorKind =
  | 'invalid_argument' // the request is malformed; nothing changed
  | 'not_found'
  | 'already_exists'
  | 'failed_precondition' // valid, but the current state does not allow it
  | 'permission_denied'
  | 'unauthenticated'
  | 'resource_exhausted'
  | 'unavailable'; // a dependency is down; retrying later may succeed

/** A refused use case; see the file comment. */
export class DomainError extends Error {
  readonly kind: DomainErrorKind;
  /** A machine-readable reason within the kind (`insufficient_funds`, `invalid_transition`, …), when one applies. */
  readonly reason: string | undefined;
  constructor(kind: DomainErrorKind, message: string, reason?: string) {
    super(message);
    this.name = 'DomainError';
    this.kind = kind;
    this.reason = reason;
  }
}

/** DomainError `invalid_argument`. */
export function invalid(message: string): DomainError {
  return new DomainError('invalid_argument', message);
}
/** DomainError `not_found`. */
export function notFound(message: string): DomainError {
  return new DomainError('not_found', message);
}
/** DomainError `already_exists`. */
export function alreadyExists(message: string): DomainError {
  return new DomainError('already_exists', message);
}
/** DomainError `failed_precondition`. */
export function refused(message: string): DomainError {
  return new DomainError('failed_precondition', message);
}
/** DomainError `permission_denied`. */
export function forbidden(message: string): DomainError {
  return new DomainError('permission_denied', message);
}

/** Throws {@link invalid} with `problem` when it is not null (for the `…Problem()` validators). */
export function requireValid(problem: string | null): void {
  if (problem !== null) throw invalid(problem);
}
