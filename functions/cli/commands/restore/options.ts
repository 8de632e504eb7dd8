import type { Command } from 'commander';
import {
  parseRestoreOptions,
  RESTORE_OPTIONS,
  type RestoreOptionsInput,
} from '../../../core/restore/options.js';
import { ARCHIVE_KEY_OPTIONS } from '../../archive-keys.js';
import type { CommandSpec } from '../../command.js';
import { CONNECTION_OPTIONS } from '../../connection.js';
import { addFlags, type FlagTexts, jsonFlag, readFlags, VERBOSE_FLAG } from '../../flags.js';
import { S3_STORE_OPTIONS } from '../../stores.js';

/** The flags restore and migrate share: every restore option, then the output's. */
export const RESTORE_FLAGS = {
  ...RESTORE_OPTIONS,
  ...ARCHIVE_KEY_OPTIONS,
  ...S3_STORE_OPTIONS,
  json: jsonFlag('print one JSON object {created, updated, skipped, failed, idMap, warnings} on stdout'),
  verbose: VERBOSE_FLAG,
} as const;

export type RestoreFlags = FlagTexts<typeof RESTORE_FLAGS>;

export const RESTORE_COMMAND = {
  name: 'restore',
  summary: 'restore an archive into an n8n instance (the same one or another)',
  description:
    'Verifies the whole archive, compares it with the target and restores in dependency order: ' +
    'projects, folders, tags, variables, credentials (stubs with the same id), data tables and ' +
    'rows, workflows (new ids and every reference rewritten, or their own ids with ' +
    '--keep-workflow-ids), tags, archiving, activation. ' +
    'Exit 0 means what ran on the source runs on the target: everything written is there, ' +
    'published as it was, its webhooks registered (asked without running anything); a workflow ' +
    'n8n will not publish is named with its reason (exit 6). ' +
    'A ledger beside the archive records progress: run the same command again to continue an ' +
    'interrupted restore or retry what failed; a finished restore run again checks the target and ' +
    'writes again only what it lost.',
  arguments: [['<archive>', 'archive path, or s3://bucket/key[?versionId=…]']],
  options: { ...CONNECTION_OPTIONS, ...RESTORE_FLAGS },
  examples: [
    '',
    'Examples:',
    '  # see what a disaster-recovery restore would do, writing nothing',
    '  n8n-ark restore ./n8n-ark-backups/prod/2026-11-22T01-00-00-000Z.zip --url https://n8n-dr.example.com --api-key-env DR_KEY --dry-run',
    '  # replace what differs, putting project "Ops" into "Operations"',
    '  n8n-ark restore backup.zip --url http://localhost:5678 --api-key-env N8N_API_KEY --on-conflict overwrite --project-map "Ops=Operations"',
    '  # bring back one workflow as it was; the sub-workflows and tables it uses are only created if missing',
    "  n8n-ark restore backup.zip --url http://localhost:5678 --api-key-env N8N_API_KEY --workflow 'Orders*' --on-conflict overwrite",
    "  # replace the rows of project Ops's data tables with the archive's (the plan says how many each one loses)",
    '  n8n-ark restore backup.zip --url http://localhost:5678 --api-key-env N8N_API_KEY --project Ops --only dataTables --data-table-rows replace --dry-run',
    '  # rebuild a lost instance with the same workflow ids (n8n 2.24+)',
    '  n8n-ark restore backup.zip --url https://n8n-new.example.com --api-key-env NEW_KEY --keep-workflow-ids',
    "  # install the community packages the workflows need (the archive's versions) before restoring",
    '  n8n-ark restore backup.zip --url https://n8n-new.example.com --api-key-env NEW_KEY --install-community-packages',
    '  # an encrypted archive, opened with the identity kept offline',
    '  n8n-ark restore ./n8n-ark-backups/prod/2026-11-22T01-00-00-000Z.zip.age --url https://n8n-dr.example.com --api-key-env DR_KEY --identity-file ./offline.key',
    '',
  ].join('\n'),
} as const satisfies CommandSpec;

/** Adds the shared restore flags (restore and migrate). */
export function addRestoreOptions(command: Command): Command {
  return addFlags(command, RESTORE_FLAGS);
}

/**
 * The shared flags as core restore options: the CLI turns its text into plain values (`--only`
 * split at commas, `--project-map` pairs into an object); the core's schema validates them.
 */
export function restoreOptionsFrom(flags: RestoreFlags): RestoreOptionsInput {
  return parseRestoreOptions(readFlags(RESTORE_FLAGS, flags));
}
