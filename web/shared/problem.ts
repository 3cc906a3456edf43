/**
 * What a refused gRPC-Web call says, for people — shared by the admin console and the customer
 * portal. The server's messages start with the field they are about (`credit_limit must not be
 * negative`, `items[0].unit_price: …`), which forms show beside that field. connect-web has already
 * decoded the percent-encoded `grpc-message`, so the text is never shown encoded.
 */
import { Code, ConnectError } from '@connectrpc/connect';

/** A refused call: its status, the server's message, and the request field the message names. */
export interface ApiProblem {
  code: Code;
  message: string;
  /** The request field the message names (`customer_id: …`, `name is required`), when it names one. */
  field: string | null;
}

/** The problem of a failed call (any thrown value; a non-Connect error becomes `Unknown`). */
export function problemOf(error: unknown): ApiProblem {
  const connect = ConnectError.from(error);
  const message = connect.rawMessage;
  const match = /^([a-z][a-z0-9_]*(?:\[\d+\])?(?:\.[a-z0-9_]+)*)(?::| must| is | may | cannot| has | "| should| -?\d+\.\d{2} disagrees| \()/.exec(message);
  return { code: connect.code, message, field: match?.[1] ?? null };
}

/** True when the call failed because the credentials are gone or expired. */
export function isUnauthenticated(error: unknown): boolean {
  return ConnectError.from(error).code === Code.Unauthenticated;
}
