/**
 * Polls `probe` every `pollMs` (ms) until it returns something other than undefined, and resolves
 * with that value; for waiting on background work (provisioning, outbox deliveries) in tests.
 * @throws Error `timed out waiting for <what>` after `timeoutMs` (ms)
 */
export async function eventually<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 30_000, pollMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
