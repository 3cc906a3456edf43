/**
 * The life of an instance (extra-services.md, rustbill.instance.InstanceService; plugin guide:
 * get_instance_status, execute_action, terminate_instance): its statuses, which action may be taken
 * from which status, the status an action leads to, and how a provider's status word maps onto
 * ours. Pure: no I/O.
 *
 * Statuses: provisioning / running / stopped / suspended / terminated / error. `terminated` is
 * final: every action on a terminated instance is refused (FailedPrecondition naming the status).
 *
 * | from \ action | start | stop | restart | terminate | custom |
 * |---|---|---|---|---|---|
 * | provisioning  | no    | no   | no      | yes       | yes    |
 * | running       | no (already running) | yes | yes | yes | yes |
 * | stopped       | yes   | no (already stopped) | no (start it) | yes | yes |
 * | suspended     | no    | no   | no      | yes       | no     |
 * | error         | yes   | yes  | yes     | yes       | yes    |
 * | terminated    | no    | no   | no      | no        | no     |
 *
 * A suspended instance was suspended by billing (unpaid); power and custom actions would undo
 * that, so only termination is allowed — resuming it is billing's business. Custom actions are the
 * plugin's own (`instance_actions()`); the plugin decides what they do, so they are allowed from
 * every status that is neither suspended nor terminated.
 */
import { invalid, refused } from '../errors.ts';

/** Local instance states; `terminated` is final. */
export const INSTANCE_STATUSES = ['provisioning', 'running', 'stopped', 'suspended', 'terminated', 'error'] as const;
/** One of {@link INSTANCE_STATUSES}. */
export type InstanceStatus = (typeof INSTANCE_STATUSES)[number];

/** The power actions the InstanceService has RPCs for (StartInstance, StopInstance, RestartInstance). */
export const POWER_ACTIONS = ['start', 'stop', 'restart'] as const;
/** One of {@link POWER_ACTIONS}. */
export type PowerAction = (typeof POWER_ACTIONS)[number];

/** What can be done to an instance: a power action, termination, or one of the plugin's own actions. */
export type LifecycleAction = PowerAction | 'terminate' | 'custom';

/**
 * Provider status words (case and surrounding spaces ignored) that are not one of ours, and the
 * status each stands for. The guide's words are running / stopped / terminated / pending / error;
 * the others are what Incus, libvirt, cloud APIs and upstream billing systems say.
 */
const PROVIDER_WORDS: Readonly<Record<string, InstanceStatus>> = {
  pending: 'provisioning', creating: 'provisioning', starting: 'provisioning', building: 'provisioning', booting: 'provisioning',
  installing: 'provisioning', queued: 'provisioning', new: 'provisioning',
  active: 'running', up: 'running', online: 'running', started: 'running',
  shutoff: 'stopped', shutdown: 'stopped', halted: 'stopped', off: 'stopped', offline: 'stopped', poweroff: 'stopped', frozen: 'stopped',
  paused: 'suspended',
  deleted: 'terminated', destroyed: 'terminated', removed: 'terminated',
  failed: 'error', broken: 'error', crashed: 'error',
};

/**
 * A provider's status word as a local instance status, or null when it is none we know
 * ("Running", "RUNNING", " running " → running; "pending" → provisioning; "Stopped", "shutoff" →
 * stopped; "Error", "failed" → error; "deleted" → terminated; see {@link PROVIDER_WORDS}).
 */
export function providerStatus(word: string): InstanceStatus | null {
  const key = word.trim().toLowerCase();
  if ((INSTANCE_STATUSES as readonly string[]).includes(key)) return key as InstanceStatus;
  return Object.hasOwn(PROVIDER_WORDS, key) ? (PROVIDER_WORDS[key] ?? null) : null;
}

/** How an action is named in refusals. */
function described(action: LifecycleAction, customId?: string): string {
  if (action === 'custom') return customId ? `action "${customId}"` : 'a custom action';
  return action;
}

/**
 * Why `action` may not be taken on an instance in `status`, or null when it may (see the table in
 * the file comment).
 * @param customId the plugin's action id, for the message of a refused custom action
 */
export function actionRefusal(status: InstanceStatus, action: LifecycleAction, customId?: string): string | null {
  const what = described(action, customId);
  switch (status) {
    case 'terminated':
      return `the instance is terminated; terminated is final, so ${what} is not possible`;
    case 'suspended':
      return action === 'terminate' ? null : `the instance is suspended; ${what} is not possible until billing resumes it (it can only be terminated)`;
    case 'provisioning':
      return action === 'terminate' || action === 'custom' ? null : `the instance is still provisioning; ${what} is possible once it is running or stopped`;
    case 'running':
      return action === 'start' ? 'the instance is already running' : null;
    case 'stopped':
      if (action === 'stop') return 'the instance is already stopped';
      if (action === 'restart') return 'the instance is stopped; start it instead of restarting';
      return null;
    case 'error':
      return null;
  }
}

/**
 * Checks that `action` may be taken on an instance in `status`.
 * @throws DomainError failed_precondition naming the status (see {@link actionRefusal})
 */
export function checkAction(status: InstanceStatus, action: LifecycleAction, customId?: string): void {
  const refusal = actionRefusal(status, action, customId);
  if (refusal !== null) throw refused(refusal);
}

/** The status an action leads to when it succeeded and the provider said nothing about the status. */
export function expectedStatus(current: InstanceStatus, action: LifecycleAction): InstanceStatus {
  switch (action) {
    case 'start':
    case 'restart':
      return 'running';
    case 'stop':
      return 'stopped';
    case 'terminate':
      return 'terminated';
    case 'custom':
      return current;
  }
}

/**
 * The status after a successful `action` on an instance in `current`: the status the provider
 * reported with the result (`reportedWord`, e.g. execute_action's `data.status`) when it maps to a
 * settled status (not provisioning: a word like "pending" only says the action is still under way),
 * otherwise {@link expectedStatus}. Terminate always leads to terminated; a terminated instance
 * stays terminated.
 */
export function statusAfterAction(current: InstanceStatus, action: LifecycleAction, reportedWord: string | null): InstanceStatus {
  if (current === 'terminated' || action === 'terminate') return 'terminated';
  const reported = reportedWord === null ? null : providerStatus(reportedWord);
  if (reported !== null && reported !== 'provisioning') return reported;
  return expectedStatus(current, action);
}

/**
 * The status of an instance after its provider reported `reportedWord` in a status check
 * (get_instance_status): terminated stays terminated (final); an unknown word changes nothing; a
 * transitional word ("pending", "starting" → provisioning) changes nothing unless the instance is
 * still provisioning (a running instance that is stopping is not being provisioned again); a
 * suspended instance stays suspended (billing suspended it — the provider sees it stopped — and
 * only billing resumes it) unless the provider reports it gone; anything else is taken.
 */
export function refreshedStatus(current: InstanceStatus, reportedWord: string): InstanceStatus {
  if (current === 'terminated') return current;
  const reported = providerStatus(reportedWord);
  if (reported === null || reported === 'provisioning') return current;
  if (current === 'suspended' && reported !== 'terminated') return current;
  return reported;
}

/** Longest plugin action id accepted (ExecuteInstanceAction.action). */
export const MAX_ACTION_ID_LENGTH = 64;

/**
 * The action id of an ExecuteInstanceAction request, trimmed: letters, digits, `_`, `-`, `.`, `:`,
 * at most {@link MAX_ACTION_ID_LENGTH} characters.
 * @throws DomainError invalid_argument when empty or malformed
 */
export function checkActionId(value: string): string {
  const id = value.trim();
  if (id === '') throw invalid('action is required: one of the ids the instance\'s actions list (e.g. "reboot")');
  if (id.length > MAX_ACTION_ID_LENGTH) throw invalid(`action must be at most ${MAX_ACTION_ID_LENGTH} characters, got ${id.length}`);
  if (!/^[A-Za-z0-9_.:-]+$/.test(id)) throw invalid(`action "${id}" may only hold letters, digits, "_", "-", "." and ":"`);
  return id;
}

/** The power action an action id names (`start`, `stop`, `restart`; `reboot` is restart), or null. */
export function powerActionOf(actionId: string): PowerAction | null {
  if (actionId === 'reboot') return 'restart';
  return (POWER_ACTIONS as readonly string[]).includes(actionId) ? (actionId as PowerAction) : null;
}
