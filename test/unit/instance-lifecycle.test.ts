import { describe, expect, it } from 'vitest';
import { refusal } from '../support/refusal.ts';
import {
  actionRefusal, checkAction, checkActionId, expectedStatus, INSTANCE_STATUSES, powerActionOf, providerStatus, refreshedStatus, statusAfterAction,
  type InstanceStatus, type LifecycleAction,
} from '../../src/domain/provisioning/instance-lifecycle.ts';

const ACTIONS: readonly LifecycleAction[] = ['start', 'stop', 'restart', 'terminate', 'custom'];

/** The table of the module comment: which actions each status allows. */
const ALLOWED: Readonly<Record<InstanceStatus, readonly LifecycleAction[]>> = {
  provisioning: ['terminate', 'custom'],
  running: ['stop', 'restart', 'terminate', 'custom'],
  stopped: ['start', 'terminate', 'custom'],
  suspended: ['terminate'],
  error: ['start', 'stop', 'restart', 'terminate', 'custom'],
  terminated: [],
};

describe('which action is allowed from which status', () => {
  it('follows the table for every status and action', () => {
    for (const status of INSTANCE_STATUSES) {
      const allowed = ACTIONS.filter((action) => actionRefusal(status, action) === null);
      expect([status, allowed]).toEqual([status, ALLOWED[status]]);
    }
  });

  it('refuses everything on a terminated instance with FailedPrecondition naming the status', () => {
    for (const action of ACTIONS) {
      const error = refusal(() => checkAction('terminated', action, 'reinstall'));
      expect(error.kind).toBe('failed_precondition');
      expect(error.message).toMatch(/terminated/);
    }
    expect(refusal(() => checkAction('terminated', 'custom', 'reinstall')).message).toContain('action "reinstall"');
  });

  it('says why in the words of the status', () => {
    expect(refusal(() => checkAction('running', 'start')).message).toBe('the instance is already running');
    expect(refusal(() => checkAction('stopped', 'stop')).message).toBe('the instance is already stopped');
    expect(refusal(() => checkAction('stopped', 'restart')).message).toMatch(/start it instead/);
    expect(refusal(() => checkAction('suspended', 'start')).message).toMatch(/suspended/);
    expect(refusal(() => checkAction('provisioning', 'stop')).message).toMatch(/still provisioning/);
    expect(() => checkAction('stopped', 'start')).not.toThrow();
  });
});

describe('the status an action leads to', () => {
  it('is running after start and restart, stopped after stop, terminated after terminate, unchanged after a custom action', () => {
    expect(expectedStatus('stopped', 'start')).toBe('running');
    expect(expectedStatus('running', 'restart')).toBe('running');
    expect(expectedStatus('running', 'stop')).toBe('stopped');
    expect(expectedStatus('running', 'terminate')).toBe('terminated');
    expect(expectedStatus('stopped', 'custom')).toBe('stopped');
  });

  it('takes a settled status the provider reported, and the expected one for a transitional or unknown word', () => {
    expect(statusAfterAction('running', 'custom', 'Stopped')).toBe('stopped');
    expect(statusAfterAction('running', 'stop', 'ERROR')).toBe('error');
    expect(statusAfterAction('stopped', 'start', 'pending')).toBe('running');
    expect(statusAfterAction('stopped', 'start', 'hibernating')).toBe('running');
    expect(statusAfterAction('stopped', 'start', null)).toBe('running');
    expect(statusAfterAction('running', 'custom', null)).toBe('running');
  });

  it('is terminated after terminate whatever the provider said, and a terminated instance stays terminated', () => {
    expect(statusAfterAction('running', 'terminate', 'running')).toBe('terminated');
    expect(statusAfterAction('terminated', 'start', 'running')).toBe('terminated');
  });
});

describe('provider status words', () => {
  it('maps every local status to itself, whatever its case and spacing', () => {
    for (const status of INSTANCE_STATUSES) {
      expect(providerStatus(status)).toBe(status);
      expect(providerStatus(` ${status.toUpperCase()} `)).toBe(status);
    }
  });

  it('maps the words providers use onto ours', () => {
    expect(['Running', 'RUNNING', 'active'].map(providerStatus)).toEqual(['running', 'running', 'running']);
    expect(['Stopped', 'SHUTOFF', 'Frozen'].map(providerStatus)).toEqual(['stopped', 'stopped', 'stopped']);
    expect(['Error', 'failed', 'Broken'].map(providerStatus)).toEqual(['error', 'error', 'error']);
    expect(['pending', 'Starting', 'creating'].map(providerStatus)).toEqual(['provisioning', 'provisioning', 'provisioning']);
    expect(['deleted', 'Destroyed'].map(providerStatus)).toEqual(['terminated', 'terminated']);
    expect(providerStatus('paused')).toBe('suspended');
  });

  it('knows nothing of other words', () => {
    expect(['', 'hibernating', 'runningg', 'constructor', 'toString'].map(providerStatus)).toEqual([null, null, null, null, null]);
  });
});

describe('refreshing a status from a status check', () => {
  it('takes a settled word, keeps terminated final and ignores unknown words', () => {
    expect(refreshedStatus('running', 'Stopped')).toBe('stopped');
    expect(refreshedStatus('provisioning', 'running')).toBe('running');
    expect(refreshedStatus('stopped', 'terminated')).toBe('terminated');
    expect(refreshedStatus('terminated', 'running')).toBe('terminated');
    expect(refreshedStatus('running', 'hibernating')).toBe('running');
  });

  it('ignores a transitional word unless the instance is still provisioning', () => {
    expect(refreshedStatus('running', 'pending')).toBe('running');
    expect(refreshedStatus('provisioning', 'pending')).toBe('provisioning');
  });

  it('keeps a suspended instance suspended whatever the provider says, unless it is gone (billing resumes it)', () => {
    expect(refreshedStatus('suspended', 'Stopped')).toBe('suspended');
    expect(refreshedStatus('suspended', 'Running')).toBe('suspended');
    expect(refreshedStatus('suspended', 'error')).toBe('suspended');
    expect(refreshedStatus('suspended', 'deleted')).toBe('terminated');
  });
});

describe('action ids of ExecuteInstanceAction', () => {
  it('accepts plugin ids, trimmed, and refuses empty or malformed ones as invalid arguments', () => {
    expect(checkActionId(' force_stop ')).toBe('force_stop');
    for (const bad of ['', '   ', 'rm -rf', 'x'.repeat(65), 'a\nb']) expect(refusal(() => checkActionId(bad)).kind).toBe('invalid_argument');
  });

  it('knows which ids are power actions', () => {
    expect(['start', 'stop', 'restart', 'reboot', 'reinstall'].map(powerActionOf)).toEqual(['start', 'stop', 'restart', 'restart', null]);
  });
});
