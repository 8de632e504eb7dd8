/** The workflows kind's refusals and failures, with what to do next (never a secret in a message). */
import { RestoreError } from '../../errors.js';
import type { RestoreWarning } from '../kind.js';

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

/**
 * n8n refused to publish a workflow because a webhook of it is held on the target (409): the path,
 * and the published workflow holding it where the target's listing tells.
 */
export function webhookTaken(
  taken: { webhook: string; holder?: { id: string; name: string } } | undefined,
  n8nMessage: string,
  cause: unknown,
): RestoreError {
  if (taken?.holder)
    return new RestoreError(
      `the webhook path ${taken.webhook} is taken by workflow "${taken.holder.name}" (id ${taken.holder.id}) on the target (n8n: ${n8nMessage}). Unpublish that workflow there, or change its path, then run the restore again to publish this one`,
      { cause },
    );
  return new RestoreError(
    `n8n will not publish it: ${n8nMessage}${taken ? ` (its webhook ${taken.webhook})` : ''}, and no published workflow of the target holds it now (n8n may still be removing one). Run the restore again to publish it`,
    { cause },
  );
}

/** n8n refused to publish (or unpublish) a workflow for another reason: n8n's own words. */
export function publishRefused(
  publish: boolean,
  n8nMessage: string,
  stubs: boolean,
  cause: unknown,
): RestoreError {
  return new RestoreError(
    `n8n will not ${publish ? 'publish' : 'unpublish'} it: ${n8nMessage}${
      stubs
        ? ' (its credentials may still be stubs waiting for their secrets: give them with --credential-secrets)'
        : ''
    }. Run the restore again once that is fixed`,
    { cause },
  );
}

/** The plan's warning: a workflow it publishes uses a webhook another workflow holds. */
export function webhookCollision(
  entry: { sourceId: string; name: string; renameTo?: string | undefined },
  webhook: string,
  holder: { id: string; name: string; restored?: boolean },
): RestoreWarning {
  const name = entry.renameTo ?? entry.name;
  const by = holder.restored
    ? `by workflow "${holder.name}" of this restore, published first`
    : `by workflow "${holder.name}" (id ${holder.id}) on the target`;
  return {
    code: 'webhook-path-taken',
    resource: 'workflows',
    workflow: { id: entry.sourceId, name: entry.name },
    message: `workflow "${name}" cannot be published: the webhook path ${webhook} is taken ${by}. It is written but not published (the restore ends incomplete) until that one is unpublished or its path changed; then run the restore again`,
  };
}

/** The plan's warning: two published workflows of the target claim one webhook (n8n's race). */
export function webhookClaimedTwice(
  webhook: string,
  holders: readonly { id: string; name: string }[],
): RestoreWarning {
  const named = holders.map((h) => `"${h.name}" (id ${h.id})`).join(' and ');
  return {
    code: 'webhook-claimed-twice',
    resource: 'workflows',
    message: `workflows ${named} on the target are all published with the webhook path ${webhook}, which n8n registers for one of them only (two publishes at once): the others receive no calls. Unpublish all but one`,
  };
}

/** The plan's warning: a workflow kept as the target has it (skip) does not run there, while it ran on the source. */
export function notRunningOnTarget(entry: { sourceId: string; name: string }): RestoreWarning {
  return {
    code: 'not-running-on-target',
    resource: 'workflows',
    workflow: { id: entry.sourceId, name: entry.name },
    message: `workflow "${entry.name}" ran on the source; the target's workflow of that name is not published and is not the archive's version, so it is kept as it is and does not run. --on-conflict overwrite writes the archive's version and publishes it`,
  };
}

/** Why the closing check finds a workflow not running as the restore said (each one line of the report). */
export const notRunningFinding = {
  unpublished: () =>
    'it is not published on the target, while it ran on the source (run the restore again to publish it)',
  published: () => 'it is published on the target, while the restore left it unpublished',
  otherGraph: () =>
    "the version published on the target is not the archive's published version (its nodes or connections differ)",
  otherSetting: (key: string) =>
    `the version published on the target runs with another settings.${key} than the archive's`,
  claimedTwice: (webhook: string, other: { id: string; name: string }) =>
    `its webhook path ${webhook} is claimed by workflow "${other.name}" (id ${other.id}) too, published on the target: n8n gives the path to one of them only. Unpublish that one, then run the restore again`,
  unregistered: (
    route: { endpoint: string; requestPath: string; method: string },
    message: string,
    waitMs: number,
  ) =>
    `n8n has not registered its webhook ${route.method} /${route.endpoint}/${route.requestPath} ${waitMs / 1000} s after publishing it (n8n: ${message}). Run the restore again`,
};

/** The closing check could not ask the target whether webhooks are registered. */
export function webhookUnchecked(reason: string): RestoreWarning {
  return {
    code: 'webhook-unchecked',
    resource: 'workflows',
    message: `Whether n8n registered the restored workflows' webhooks could not be checked: ${reason}. The webhook and form URLs may be served elsewhere than the API's URL.`,
  };
}
