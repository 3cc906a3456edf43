import { describe, expect, it } from 'vitest';
import { refusal } from '../support/refusal.ts';
import { importedStatus, INSTANCE_STATUSES, instanceSpec, localStatus, refreshedInstance, unownedImportRefusal } from '../../src/domain/provisioning/instances.ts';
import { checkProviderInstanceId, checkServerSpec } from '../../src/domain/provisioning/server-spec.ts';



describe('provider status words as local instance statuses', () => {
  it('maps every local status to itself, whatever its case and spacing', () => {
    for (const status of INSTANCE_STATUSES) {
      expect(localStatus(status)).toBe(status);
      expect(localStatus(` ${status.toUpperCase()} `)).toBe(status);
    }
  });

  it('maps pending, creating and starting to provisioning, and anything else to null', () => {
    expect(['pending', 'Creating', 'STARTING'].map(localStatus)).toEqual(['provisioning', 'provisioning', 'provisioning']);
    expect(['', 'hibernating', 'runningg'].map(localStatus)).toEqual([null, null, null]);
    expect(localStatus('deleted')).toBe('terminated');
  });
});

describe('refreshing an instance from what its provider reports', () => {
  it('takes a known status and a non-empty address', () => {
    expect(refreshedInstance({ status: 'provisioning', ipAddress: '' }, { status: 'Running', ipAddress: '10.0.0.2' })).toEqual({ status: 'running', ipAddress: '10.0.0.2' });
  });

  it('keeps the local status for an unknown word and the local address for an empty one', () => {
    expect(refreshedInstance({ status: 'stopped', ipAddress: '10.0.0.3' }, { status: 'hibernating', ipAddress: '' })).toEqual({ status: 'stopped', ipAddress: '10.0.0.3' });
  });

  it('never revives a terminated instance', () => {
    expect(refreshedInstance({ status: 'terminated', ipAddress: '' }, { status: 'running', ipAddress: '10.0.0.4' })).toEqual({ status: 'terminated', ipAddress: '10.0.0.4' });
  });

  it('starts a new instance in the reported status, or provisioning when the word is unknown', () => {
    expect(importedStatus({ status: 'stopped', ipAddress: '' })).toBe('stopped');
    expect(importedStatus({ status: '???', ipAddress: '' })).toBe('provisioning');
  });
});

describe('an instance\'s spec from its order', () => {
  it('writes every field as text and spreads extra_specs in, their keys winning', () => {
    expect(instanceSpec({ cpu_cores: 2, region: 'eu', extra_specs: { tier: 'gold', region: 'eu-west' } })).toEqual({ cpu_cores: '2', region: 'eu-west', tier: 'gold' });
    expect(instanceSpec({})).toEqual({});
  });
});

describe('importing an instance nobody owns', () => {
  it('is refused as a failed precondition naming the instance and the provider', () => {
    const refusal = unownedImportRefusal('up-7', 'plugin interface "U" (upstream_provider/rustbill)');
    expect(refusal).toMatchObject({ kind: 'failed_precondition', message: expect.stringMatching(/^upstream instance "up-7" is not referenced by any order or instance of plugin interface "U" \(upstream_provider\/rustbill\); an imported instance needs an owning customer's order$/) });
  });
});

describe('server specs and provider instance ids in requests', () => {
  const spec = { cpuCores: 1, memoryGb: 1, diskGb: 0, bandwidthMbps: 0, region: ' eu ', os: ' debian ', extraSpecs: { a: 'b' } };

  it('accepts a spec with a CPU, memory, region and OS, trimmed', () => {
    expect(checkServerSpec('', spec)).toEqual({ ...spec, region: 'eu', os: 'debian' });
  });

  it('names the missing field, with the prefix', () => {
    expect(refusal(() => checkServerSpec('server_spec.', { ...spec, cpuCores: 0 }))).toMatchObject({ kind: 'invalid_argument', message: 'server_spec.cpu_cores must be at least 1' });
    expect(refusal(() => checkServerSpec('', { ...spec, memoryGb: 0 })).message).toBe('memory_gb must be at least 1');
    expect(refusal(() => checkServerSpec('', { ...spec, region: '  ' })).message).toBe('region is required');
    expect(refusal(() => checkServerSpec('', { ...spec, os: '' })).message).toBe('os is required');
  });

  it('takes a provider instance id trimmed, refusing empty, overlong and control characters', () => {
    expect(checkProviderInstanceId(' i-1 ')).toBe('i-1');
    expect(refusal(() => checkProviderInstanceId(' ')).message).toMatch(/instance_id is required/);
    expect(refusal(() => checkProviderInstanceId('x'.repeat(256))).message).toBe('instance_id must be at most 255 characters, got 256');
    expect(checkProviderInstanceId('x'.repeat(255))).toHaveLength(255);
    expect(refusal(() => checkProviderInstanceId('a\u0007b')).message).toBe('instance_id must not contain control characters');
  });
});
