/**
 * Credentials: metadata only (never secrets). The restore keeps their ids and matches by id; across
 * instances where ids differ (the diff) a credential is its type and name.
 */

import { z } from 'zod';
import { credentialsWithFlags } from '../../instance/credential-flags.js';
import { type InstanceNames, isOwnerRole, owningProjectId } from '../../instance/identity.js';
import { readListing } from '../../instance/read.js';
import type { CredentialMeta } from '../../n8n-types.js';
import type { N8nApi, N8nCredentialsApi, N8nScratchApi } from '../../ports.js';
import type {
  ArchiveReference,
  BackupRead,
  ContentNames,
  DiffRecord,
  Kind,
  KindDetail,
  KindLedger,
  Need,
  RestorePlan,
  RoundReason,
  TargetRead,
} from '../kind.js';
import { id, text } from '../kind.js';
import type { PlanEntryDetail } from '../shared/plan-records.js';
import { createCredentials, transferCredentials } from './apply.js';
import { makeCreatedGlobal } from './global.js';
import { credentialKey } from './key.js';
import { planCredentials } from './plan.js';
import { fillStubSecrets, stubsWithSecretNow } from './secrets.js';

export { credentialKey } from './key.js';

declare module '../shared/plan-records.js' {
  interface PlanEntryDetail {
    /** Credentials: the id n8n should give it (the source id, unless n8n would refuse it). */
    createWithId?: string;
    /** Credentials matched by id but owned by another project than the mapped one (moved by the transfer step). */
    transferToSourceProject?: boolean;
    /** Credentials: global on the source (`isGlobal`), so made global once created (where the target's licence allows). */
    makeGlobal?: boolean;
  }
}
declare module '../shared/state.js' {
  interface SourceRecords {
    credentials: CredentialMeta[];
  }
  interface TargetRecords {
    credentials: CredentialMeta[] | undefined;
  }
}

type CredentialEntryDetail = Pick<PlanEntryDetail, 'createWithId' | 'transferToSourceProject' | 'makeGlobal'>;

const detail: KindDetail<CredentialEntryDetail> = { ofTarget: ['createWithId', 'transferToSourceProject'] };

/** Making a credential global, and writing a secret into a stub, are updates (PATCH). */
function extraScopes(plan: RestorePlan): string[] {
  return plan.entries.some((e) => e.resource === 'credentials' && e.makeGlobal && e.action === 'create')
    ? ['credential:update']
    : [];
}

/** A finished restore plans again once the secrets of stubs it created are known. */
async function nextRound(ctx: {
  archive: Parameters<typeof stubsWithSecretNow>[0];
  ledger: KindLedger;
  secrets?: Parameters<typeof stubsWithSecretNow>[2];
}): Promise<RoundReason | undefined> {
  const known = await stubsWithSecretNow(ctx.archive, ctx.ledger, ctx.secrets);
  if (known === 0) return undefined;
  return {
    why: `the secrets of ${known} credential stub(s) it created are known`,
    detail: `${known} stub(s) get their secret`,
    scopes: ['credential:update'],
  };
}

/** A target whose credentials cannot be listed is planned as if it had none (they are created by id). */
async function readTarget(read: TargetRead): Promise<CredentialMeta[]> {
  const listing = await readListing(() => read.api.listCredentials());
  return 'items' in listing ? listing.items : [];
}

function* indexForDiff(credentials: readonly CredentialMeta[], names: InstanceNames): Iterable<DiffRecord> {
  for (const credential of credentials) {
    names.credentials.set(credential.id, credential.name);
    const projectId = owningProjectId(credential);
    yield {
      key: credentialKey(credential),
      id: credential.id,
      canonical: {
        name: credential.name,
        type: credential.type,
        project: projectId ? (names.projects.get(projectId) ?? null) : null,
      },
    };
  }
}

export const credentialsKind = {
  resource: 'credentials',
  restored: true,
  entries: {
    credentials: {
      name: 'credentials.ndjson',
      record: z.looseObject({
        id,
        name: text,
        type: text,
        shared: z.array(z.looseObject({ id, role: text })).optional(),
      }),
      references: (credential: CredentialMeta): ArchiveReference[] =>
        (credential.shared ?? [])
          .filter((share) => isOwnerRole(share.role))
          .map((share) => ({
            resource: 'projects',
            id: share.id,
            problem: `credential ${credential.id} is owned by project ${share.id}, which is not in the archive`,
          })),
    },
  },
  list: (api: N8nCredentialsApi) => api.listCredentials(),
  backup: {
    records: (api: N8nApi, read: BackupRead) => credentialsWithFlags(api, read.concurrency, read.warnings),
    projectsOf: (credential: CredentialMeta) =>
      (credential.shared ?? []).filter((share) => isOwnerRole(share.role)).map((share) => share.id),
  },
  readTarget,
  restoreScopes: ['credential:list', 'credential:create'],
  selection: {
    chosenWithProject: (credential: CredentialMeta) => owningProjectId(credential),
    needs: (credential: CredentialMeta): Need[] => {
      const projectId = owningProjectId(credential);
      return projectId
        ? [{ resource: 'projects', id: projectId, why: `owns credential "${credential.name}"` }]
        : [];
    },
  },
  plan: planCredentials,
  detail,
  steps: [
    {
      name: 'credentials',
      run: async (ctx) => {
        await createCredentials(ctx);
        await makeCreatedGlobal(ctx);
        await fillStubSecrets(ctx);
      },
    },
    { name: 'transfers', last: true, run: (ctx) => transferCredentials(ctx) },
  ],
  extraScopes,
  nextRound,
  diff: { index: indexForDiff },
  contents: {
    projectOf: (credential: CredentialMeta) => owningProjectId(credential),
    row: (credential: CredentialMeta, names: ContentNames) => ({
      id: credential.id,
      name: credential.name,
      type: credential.type,
      project: names.project(owningProjectId(credential)),
    }),
  },
  scratch: {
    wipe: (api: N8nScratchApi, credential: CredentialMeta) => api.deleteCredential(credential.id),
    wipeScopes: ['credential:delete'],
  },
} as const satisfies Kind<'credentials', 'credentials' | 'transfers'>;
