/**
 * n8n versions as n8n states them (N8nApi.n8nVersion) and how two of them compare. Only the
 * leading `major.minor.patch` is compared; a version without one cannot be compared, and is
 * treated as unknown rather than guessed at.
 */
import type { N8nPackagesApi } from '../ports.js';

/** What a backup records of its source's version (the manifest's `source.n8nVersion`). */
export interface RecordedVersion {
  n8nVersion: string | null;
  /** Why `n8nVersion` is null. */
  n8nVersionNote?: string;
}

export async function recordedVersion(api: Pick<N8nPackagesApi, 'n8nVersion'>): Promise<RecordedVersion> {
  const answer = await api.n8nVersion();
  return answer.version === null
    ? { n8nVersion: null, n8nVersionNote: answer.reason }
    : { n8nVersion: answer.version };
}

export interface VersionNumbers {
  major: number;
  minor: number;
  patch: number;
}

export function parseN8nVersion(text: string): VersionNumbers | undefined {
  const match = /^v?(\d+)\.(\d+)\.(\d+)(?:[-+].*)?$/.exec(text.trim());
  if (!match) return undefined;
  const [major, minor, patch] = match.slice(1, 4).map(Number) as [number, number, number];
  return { major, minor, patch };
}

/** Negative when `a` is older than `b`, 0 when the same release, positive when newer. */
export function compareN8nVersions(a: VersionNumbers, b: VersionNumbers): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

export function sameMinor(a: VersionNumbers, b: VersionNumbers): boolean {
  return a.major === b.major && a.minor === b.minor;
}
