/**
 * `--install-community-packages`: before the restore's first write, the community packages the
 * plan found missing are installed on the target at the archive's versions (POST
 * /community-packages). The key's scope is checked first, and a package n8n will not install ends
 * the restore there, with nothing written.
 */

import { RestoreError } from '../../errors.js';
import { assertRestoreScopes } from '../../instance/doctor.js';
import { readInventory } from '../../instance/node-types.js';
import type { Logger, N8nApi, N8nCapabilities } from '../../ports.js';
import type { PlanOptions, RestorePlan } from '../../restore/types.js';
import { messageOf } from '../shared/failure-policy.js';

export async function installCommunityPackages(
  deps: { api: N8nApi; capabilities?: N8nCapabilities; logger: Logger },
  plan: RestorePlan,
  options: Pick<PlanOptions, 'installCommunityPackages' | 'unverifiedCommunityPackages'>,
): Promise<void> {
  const wanted = plan.communityPackagesToInstall ?? [];
  if (!options.installCommunityPackages || wanted.length === 0) return;
  if (deps.capabilities) await assertRestoreScopes(deps.capabilities, [], ['communityPackage:install']);
  const inventory = await readInventory(deps.api);
  const installed = new Set('packages' in inventory ? inventory.packages.map((p) => p.packageName) : []);
  for (const { name, version } of wanted) {
    if (installed.has(name)) continue;
    try {
      await deps.api.installCommunityPackage(name, version, { verify: !options.unverifiedCommunityPackages });
    } catch (error) {
      const vetting = /not vetted|not verified/i.test(messageOf(error));
      throw new RestoreError(
        `Installing the community package ${name}@${version} on the target failed: ${messageOf(error)}. Nothing was written to the target's workflows.${
          vetting
            ? " n8n installs only packages on its vetted list (which it reads online) unless told otherwise: add --unverified-community-packages to install the archive's version from n8n's npm registry,"
            : ''
        } Install it by hand (n8n: Settings → Community nodes) or restore without --install-community-packages (workflows that use it are then written but not published).`,
        { cause: error },
      );
    }
    deps.logger.info('community package installed', { package: name, version });
  }
}
