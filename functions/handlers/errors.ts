/** The Lambda edge's own refusals, each worded once (the core's errors carry their own messages). */
import { ArchiveIntegrityError, ArchiveNotFoundError, UsageError } from '../core/errors.js';

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

export const noArchiveToVerify = (request: { instance: string }) =>
  new ArchiveNotFoundError(`no archive to verify for ${JSON.stringify(request)}`, {
    location: `archives of ${request.instance}`,
  });

export const archiveFailedVerification = (location: string, problems: readonly { entry: string }[]) =>
  new ArchiveIntegrityError(`${location} failed verification`, { entry: problems[0]?.entry ?? '(archive)' });

export const noArchiveToDrill = (instance: string) =>
  new ArchiveNotFoundError(`no archive of ${instance} to drill`, { location: `archives of ${instance}` });

export const noDrillTarget = (instance: string) =>
  new UsageError(`instance "${instance}" has no drill target configured`);
