/**
 * Script identity helpers shared by the scanner and the registry: the source hash stored in
 * `script_hash`, and the semantic-version rules of the plugin guide (版本管理与级联同步).
 */
import { createHash } from 'node:crypto';

/** `script_hash`: the SHA-256 of the source text, lowercase hex (64 characters). */
export function scriptHash(source: string): string {
  return createHash('sha256').update(source, 'utf8').digest('hex');
}

/** A parsed semantic version. */
export interface SemVer {
  major: number;
  minor: number;
  patch: number;
  /** Pre-release identifiers (`1.0.0-beta.2` → ['beta', '2']); empty for a release. */
  prerelease: string[];
}

const SEMVER = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;

/** Parses `MAJOR.MINOR.PATCH[-pre][+build]` (a leading `v` is allowed); null when it is not one. */
export function parseVersion(text: string): SemVer | null {
  const match = SEMVER.exec(text.trim());
  if (!match) return null;
  return {
    major: Number(match[1]),
    minor: Number(match[2]),
    patch: Number(match[3]),
    prerelease: match[4] ? match[4].split('.') : [],
  };
}

function compareIdentifiers(a: string, b: string): number {
  const aNumeric = /^\d+$/.test(a);
  const bNumeric = /^\d+$/.test(b);
  if (aNumeric && bNumeric) return Math.sign(Number(a) - Number(b));
  if (aNumeric) return -1;
  if (bNumeric) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Semantic-version precedence: negative when `a` < `b`, 0 when equal, positive when `a` > `b`
 * (a pre-release is lower than its release; build metadata is ignored). A string that is not a
 * version counts as `0.0.0` (the guide's "no version() is the oldest").
 */
export function compareVersions(a: string, b: string): number {
  const zero: SemVer = { major: 0, minor: 0, patch: 0, prerelease: [] };
  const left = parseVersion(a) ?? zero;
  const right = parseVersion(b) ?? zero;
  for (const key of ['major', 'minor', 'patch'] as const) {
    if (left[key] !== right[key]) return Math.sign(left[key] - right[key]);
  }
  if (left.prerelease.length === 0 || right.prerelease.length === 0) {
    return right.prerelease.length - left.prerelease.length === 0 ? 0 : left.prerelease.length === 0 ? 1 : -1;
  }
  const length = Math.max(left.prerelease.length, right.prerelease.length);
  for (let index = 0; index < length; index += 1) {
    const x = left.prerelease[index];
    const y = right.prerelease[index];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const order = compareIdentifiers(x, y);
    if (order !== 0) return order;
  }
  return 0;
}
