/**
 * An instance's power buttons, shared by the admin console and the customer portal: the actions in
 * the order of their buttons, and the InstanceService RPC each one calls (README "Instances").
 */
import type { Client } from '@connectrpc/connect';
import type { InstanceInfo, InstanceService } from '../../src/gen/rustbill/instance_pb.ts';

/** The power actions, in the order of their buttons. */
export const POWER = ['start', 'stop', 'restart', 'terminate'] as const;
export type Power = (typeof POWER)[number];

/**
 * Runs `action` on instance `id` through `instances` (the app's own client: the console's session,
 * the portal's token); the instance as the RPC answers it.
 * @throws ConnectError as the RPC answers
 */
export async function powerCall(instances: Client<typeof InstanceService>, id: string, action: Power): Promise<InstanceInfo | undefined> {
  switch (action) {
    case 'start': return (await instances.startInstance({ id })).instance;
    case 'stop': return (await instances.stopInstance({ id })).instance;
    case 'restart': return (await instances.restartInstance({ id })).instance;
    case 'terminate': return (await instances.terminateInstance({ id })).instance;
  }
}
