/**
 * The archive's refusals, each naming what is wrong and what to do next: an archive of another
 * format or version, a damaged one, a choice (`extract`) the archive cannot answer.
 */
import { ArchiveIntegrityError, InvalidOptionError, UnsupportedArchiveFormatError } from '../errors.js';

type Header = { format?: unknown; formatVersion?: unknown };

export function notAnArchive(header: Header, format: string): UnsupportedArchiveFormatError {
  return new UnsupportedArchiveFormatError(
    `not an n8n-ark archive: manifest.json has format ${JSON.stringify(header.format)}, expected "${format}"`,
    { formatVersion: header.formatVersion },
  );
}

export function unsupportedVersion(header: Header, reads: number): UnsupportedArchiveFormatError {
  return new UnsupportedArchiveFormatError(
    `archive format version ${JSON.stringify(header.formatVersion)} is not supported by this n8n-ark (it reads version ${reads}); use the n8n-ark version that wrote it, or a newer one`,
    { formatVersion: header.formatVersion },
  );
}

export function manifestMalformed(
  entry: string,
  issue: { path: readonly PropertyKey[]; message: string } | undefined,
): ArchiveIntegrityError {
  return new ArchiveIntegrityError(
    `manifest.json is malformed at ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`,
    { entry },
  );
}

export function entryAltered(
  name: string,
  read: { size: number; digest: string },
  expected: { size: number; sha256: string },
): ArchiveIntegrityError {
  return new ArchiveIntegrityError(
    `${name} does not match the manifest (${read.size} bytes, sha256 ${read.digest.slice(0, 12)}…; expected ${expected.size} bytes, ${expected.sha256.slice(0, 12)}…): the archive was altered or damaged`,
    { entry: name },
  );
}

export function lineTooLong(entry: string, line: number, maxLineChars: number): ArchiveIntegrityError {
  return new ArchiveIntegrityError(
    `${entry} line ${line} is longer than ${maxLineChars} characters, more than any record n8n can hold`,
    { entry },
  );
}

export function nestedTooDeep(entry: string, where: string, limit: number): ArchiveIntegrityError {
  return new ArchiveIntegrityError(
    `${where} nests arrays and objects deeper than ${limit} levels (n8n's own JSON stays under 20): refused before parsing`,
    { entry },
  );
}

export function notJson(entry: string, where: string, cause: unknown): ArchiveIntegrityError {
  return new ArchiveIntegrityError(`${where} is not valid JSON`, { entry }, { cause });
}

/** Bytes that are not UTF-8: refused rather than read with U+FFFD in their place. */
export function notUtf8(entry: string, where: string, offset: number): ArchiveIntegrityError {
  return new ArchiveIntegrityError(
    `${where} is not valid UTF-8 (byte ${offset} of the entry): refused rather than read with replacement characters`,
    { entry },
  );
}

export function noSuchWorkflow(pattern: string): InvalidOptionError {
  return new InvalidOptionError(
    'workflow',
    `${JSON.stringify(pattern)}: the archive has no workflow with that id or a name matching it`,
  );
}

export function versionOfSeveral(pattern: string, matching: number): InvalidOptionError {
  return new InvalidOptionError(
    'version',
    `needs --workflow to choose one workflow; ${JSON.stringify(pattern)} matches ${matching} (give its id)`,
  );
}

export function noSuchVersion(versionId: string, workflow: { id: string; name: string }): InvalidOptionError {
  return new InvalidOptionError(
    'version',
    `${JSON.stringify(versionId)}: the archive holds no such version of workflow "${workflow.name}" (${workflow.id}); list them with inspect --workflow … --versions`,
  );
}

export function noSuchTable(nameOrId: string, named: readonly { id: string }[]): InvalidOptionError {
  return new InvalidOptionError(
    'dataTable',
    named.length > 1
      ? `${JSON.stringify(nameOrId)}: several data tables have that name (in different projects); give the id (${named.map((t) => t.id).join(', ')})`
      : `${JSON.stringify(nameOrId)}: the archive has no data table with that id or name`,
  );
}
