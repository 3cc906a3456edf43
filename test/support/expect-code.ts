import { Code, ConnectError } from '@connectrpc/connect';
import { expect } from 'vitest';

/**
 * Asserts that `promise` rejects with a ConnectError of `code` (and a message matching `message`,
 * when given); returns the error. Fails when the promise resolves or rejects with anything else.
 */
export async function expectCode(promise: Promise<unknown>, code: Code, message?: RegExp): Promise<ConnectError> {
  const thrown = await promise.then(
    () => {
      throw new Error(`expected ${Code[code]}, got success`);
    },
    (error: unknown) => error,
  );
  expect(thrown).toBeInstanceOf(ConnectError);
  const error = thrown as ConnectError;
  expect(Code[error.code]).toBe(Code[code]);
  if (message) expect(error.rawMessage).toMatch(message);
  return error;
}
