/**
 * Errors in words a customer understands (issue 13): never a status number, a stack or
 * percent-encoded text. The server's refusals of bad input (InvalidArgument, AlreadyExists,
 * FailedPrecondition) are written for people and name the field, so forms show them beside it;
 * everything else — signed out, rate limits, outages, internal errors — gets a sentence of the
 * portal's own, in the UI's language.
 */
import { Code } from '@connectrpc/connect';
import { useCallback } from 'react';
import { useTranslation } from 'react-i18next';
import { problemOf, type ApiProblem } from './api.ts';

/** Maps a failed call to what the customer reads (`field` kept for forms). */
export function friendlyProblem(error: unknown, t: (key: string) => string): ApiProblem {
  const problem = problemOf(error);
  const own = (key: string): ApiProblem => ({ code: problem.code, message: t(key), field: null });
  switch (problem.code) {
    case Code.Unauthenticated: return own('errors.signedOut');
    case Code.ResourceExhausted: return own('errors.tooMany');
    case Code.PermissionDenied: return problem.message === '' ? own('errors.notAllowed') : sentence(problem);
    case Code.NotFound: return problem.message === '' ? own('errors.notFound') : sentence(problem);
    case Code.Unavailable: case Code.DeadlineExceeded: case Code.Aborted: return own('errors.unavailable');
    case Code.Internal: case Code.Unknown: case Code.DataLoss: case Code.Unimplemented: case Code.Canceled: return own('errors.unexpected');
    case Code.FailedPrecondition:
      return /insufficient funds|insufficient_funds/i.test(problem.message) ? { ...own('errors.insufficientFunds'), field: null } : sentence(problem);
    default:
      return /^\s*$/.test(problem.message) ? own('errors.unexpected') : sentence(problem);
  }
}

/** A server message that names no field starts with a capital letter, as a sentence does. */
function sentence(problem: ApiProblem): ApiProblem {
  if (problem.field !== null) return problem;
  return { ...problem, message: problem.message.charAt(0).toUpperCase() + problem.message.slice(1) };
}

/** `friendly(error)` for the current language (a hook). */
export function useFriendly(): (error: unknown) => ApiProblem {
  const { t } = useTranslation();
  return useCallback((error: unknown) => friendlyProblem(error, t), [t]);
}
