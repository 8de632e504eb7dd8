/** The Lambda edge's own refusals, each worded once (the core's errors carry their own messages). */
import { ArchiveIntegrityError, UsageError } from '../core/errors.js';

export const unknownInstance = (instance: string, configured: readonly string[]) =>
  new UsageError(`unknown instance "${instance}"; configured: ${configured.join(', ') || 'none'}`);

export const credentialSecretsRefused = {
  notConfigured: (target: string) =>
    new UsageError(
      `invalid restore event: credentialSecrets: restores into "${target}" may not read credential secrets: set "credentialSecrets": "sm://<prefix>" on instance "${target}" in cdk.json and deploy`,
    ),
  otherPrefix: (target: string, allowed: string, uri: string) =>
    new UsageError(
      `invalid restore event: credentialSecrets: restores into "${target}" may read credential secrets from ${allowed} only (cdk.json), not ${uri}`,
    ),
};

export const noArchiveToVerify = (request: unknown) =>
  new UsageError(`no archive to verify for ${JSON.stringify(request)}`);

export const archiveFailedVerification = (location: string, problems: readonly { entry: string }[]) =>
  new ArchiveIntegrityError(`${location} failed verification`, { entry: problems[0]?.entry ?? '(archive)' });

export const noArchiveToDrill = (instance: string) => new UsageError(`no archive of ${instance} to drill`);

export const noDrillTarget = (instance: string) =>
  new UsageError(`instance "${instance}" has no drill target configured`);
