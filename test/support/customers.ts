import { IdentityService } from '../../src/gen/rustbill/identity_pb.ts';
import { newId } from '../../src/lib/ids.ts';
import { grpcClient } from './clients.ts';
import type { RunningServer } from './server.ts';

/** A customer registered by {@link registerCustomer}, logged in. */
export interface RegisteredCustomer {
  customerId: string;
  userId: string;
  username: string;
  email: string;
  password: string;
  accessToken: string;
  refreshToken: string;
}

/**
 * Registers a customer the way a person does — SendVerificationCode (the code is read from the
 * server's development log, where it goes without a mail notifier), Register — and logs it in.
 * The username is `username`, or `prefix` plus a random suffix (default prefix `cust`).
 */
export async function registerCustomer(
  server: RunningServer,
  options: { username?: string; prefix?: string; password?: string; displayName?: string } = {},
): Promise<RegisteredCustomer> {
  const identity = grpcClient(IdentityService, server.url);
  const username = options.username ?? `${options.prefix ?? 'cust'}${newId().slice(-8)}`;
  const email = `${username}@example.com`;
  const password = options.password ?? 'Customer-Pass1';
  await identity.sendVerificationCode({ email, purpose: 'registration' });
  const line = await server.waitForLog((entry) => entry.email === email && typeof entry.code === 'string');
  const registered = await identity.register({ username, email, displayName: options.displayName ?? `User ${username}`, password, verificationCode: String(line.code) });
  const login = await identity.login({ username, password, userType: 'customer' });
  return {
    customerId: registered.customerId,
    userId: registered.user?.id ?? '',
    username,
    email,
    password,
    accessToken: login.accessToken,
    refreshToken: login.refreshToken,
  };
}
