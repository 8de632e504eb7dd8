/**
 * What a restore makes of the source's n8n version (recorded in the archive) and the target's
 * (asked now): an older target is warned about, since workflows may use nodes or node versions it
 * does not know; with `requireSameMinor` another major.minor, or a version that could not be
 * learned, is refused before anything is written. Otherwise an unknown version is only a note.
 */
import type { Manifest } from '../archive/format.js';
import { compareN8nVersions, parseN8nVersion, sameMinor } from '../instance/version.js';
import type { N8nApi, N8nVersionAnswer } from '../ports.js';
import { versionsDiffer, versionsUnknown } from './errors.js';
import type { RestorePlan, RestoreWarning } from './types.js';

const NOT_COMPARED = 'n8n versions not compared: ';
const NEWER_TARGET = 'The target runs n8n ';

export interface VersionCheck {
  notes: string[];
  warnings: RestoreWarning[];
}

/** Throws InvalidOptionError('requireSameMinor', …) when the option cannot be honoured. */
export function checkVersions(
  source: Manifest['source'],
  target: N8nVersionAnswer,
  requireSameMinor = false,
): VersionCheck {
  const unknown = [
    ...(source.n8nVersion === null
      ? [
          `the archive does not record the source's n8n version (${source.n8nVersionNote ?? 'made by an n8n-ark that did not record it'})`,
        ]
      : []),
    ...(target.version === null ? [`the target's n8n version could not be learned (${target.reason})`] : []),
  ];
  const from = source.n8nVersion === null ? undefined : parseN8nVersion(source.n8nVersion);
  const to = target.version === null ? undefined : parseN8nVersion(target.version);
  if (source.n8nVersion !== null && !from)
    unknown.push(`the source's n8n version "${source.n8nVersion}" is not major.minor.patch`);
  if (target.version !== null && !to)
    unknown.push(`the target's n8n version "${target.version}" is not major.minor.patch`);
  if (!from || !to) {
    if (requireSameMinor) throw versionsUnknown(unknown);
    return { notes: unknown.map((why) => `${NOT_COMPARED}${why}.`), warnings: [] };
  }
  const [s, t] = [source.n8nVersion, target.version] as [string, string];
  if (requireSameMinor && !sameMinor(from, to)) throw versionsDiffer(s, t, from);
  const order = compareN8nVersions(to, from);
  if (order < 0)
    return {
      notes: [],
      warnings: [
        {
          code: 'older-target',
          message: `The target runs n8n ${t}, older than the source's n8n ${s} that the archive comes from: workflows may use nodes or node versions the target does not know. Upgrade the target to ${s} or later to be sure.`,
        },
      ],
    };
  return {
    notes: order > 0 ? [`${NEWER_TARGET}${t}, newer than the source's n8n ${s}.`] : [],
    warnings: [],
  };
}

/**
 * A later run of a planned restore says what is true of the target now: the plan's notes on the
 * n8n versions were made when it was planned (an empty target cannot tell its version: "the
 * instance has no workflow"), so they are made again against the target as it is.
 */
export async function refreshVersionNotes(
  plan: RestorePlan,
  source: Manifest['source'],
  api: Pick<N8nApi, 'n8nVersion'>,
): Promise<void> {
  const isVersionNote = (note: string) => note.startsWith(NOT_COMPARED) || note.startsWith(NEWER_TARGET);
  if (!plan.notes.some(isVersionNote)) return;
  const now = checkVersions(source, await api.n8nVersion());
  plan.notes = [...now.notes, ...plan.notes.filter((note) => !isVersionNote(note))];
}
