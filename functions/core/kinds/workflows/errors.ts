/** The workflows kind's refusals and failures, with what to do next (never a secret in a message). */
import { RestoreError } from '../../errors.js';

export function workflowImportMissing(url: string): RestoreError {
  return new RestoreError(
    `${url} does not answer POST /api/v1/n8n-packages/import (n8n 2.24 or later has it), the only route that creates workflows under chosen ids; nothing was written. Upgrade the target, or restore without keeping workflow ids (workflows get new ids and every reference to them is rewritten).`,
  );
}

/** A workflow whose node types the target lacks is written but not published. */
export function notPublished(missingTypes: readonly string[]): RestoreError {
  return new RestoreError(
    `it was written but not published: the target lacks its node types ${missingTypes.join(', ')}. Install them (the plan's notes say which packages), then run the restore again to publish it`,
  );
}

export function communityInstallFailed(
  pkg: { name: string; version: string },
  why: string,
  cause: unknown,
): RestoreError {
  const vetting = /not vetted|not verified/i.test(why);
  return new RestoreError(
    `Installing the community package ${pkg.name}@${pkg.version} on the target failed: ${why}. Nothing was written to the target's workflows.${
      vetting
        ? " n8n installs only packages on its vetted list (which it reads online) unless told otherwise: add --unverified-community-packages to install the archive's version from n8n's npm registry,"
        : ''
    } Install it by hand (n8n: Settings → Community nodes) or restore without --install-community-packages (workflows that use it are then written but not published).`,
    { cause },
  );
}
