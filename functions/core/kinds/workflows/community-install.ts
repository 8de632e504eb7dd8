/**
 * `--install-community-packages`: before the restore's first write, the community packages the
 * plan found missing are installed on the target at the archive's versions (POST
 * /community-packages). The key's scope is checked first, and a package n8n will not install ends
 * the restore there, with nothing written.
 */

import { readInventory } from '../../instance/node-types.js';
import type { BeforeWriteContext, KindPlanOptions, RestorePlan } from '../kind.js';
import { messageOf } from '../shared/failure-policy.js';
import { communityInstallFailed } from './errors.js';

/** Whether the restore installs packages: the key's scope for it is checked with the plan's others. */
export function installsCommunityPackages(plan: RestorePlan, options: KindPlanOptions): boolean {
  return (
    options.preflight?.installCommunityPackages === true && (plan.communityPackagesToInstall ?? []).length > 0
  );
}

export async function installCommunityPackages({
  api,
  plan,
  options,
  logger,
}: BeforeWriteContext): Promise<void> {
  if (!installsCommunityPackages(plan, options)) return;
  const wanted = plan.communityPackagesToInstall ?? [];
  const inventory = await readInventory(api);
  const installed = new Set('packages' in inventory ? inventory.packages.map((p) => p.packageName) : []);
  for (const { name, version } of wanted) {
    if (installed.has(name)) continue;
    try {
      await api.installCommunityPackage(name, version, {
        verify: !options.preflight?.unverifiedCommunityPackages,
      });
    } catch (error) {
      throw communityInstallFailed({ name, version }, messageOf(error), error);
    }
    logger.info('community package installed', { package: name, version });
  }
}
