/**
 * n8n's package routes (`/n8n-packages/import` and `/export`, n8n 2.24+): importing workflows, and
 * what only a package tells: the instance's version, each workflow's folder, the node types it
 * lacks. The package bytes themselves are package-format.ts.
 */
import { AuthenticationError, MissingScopeError, N8nApiError, NotFoundError } from '../../core/errors.js';
import type { NodeTypeUse } from '../../core/n8n-types.js';
import type {
  N8nPackagesApi,
  N8nVersionAnswer,
  N8nWorkflowsApi,
  NodeTypesAnswer,
  PackagedWorkflow,
} from '../../core/ports.js';
import { describeAnswer } from './errors.js';
import type { HttpAnswer } from './http-exchange.js';
import {
  createdByImport,
  missingFromProbe,
  nodeTypeProbePackage,
  packageSourceVersion,
  packageWorkflowFolders,
  workflowPackage,
} from './package-format.js';
import type { N8nTransport } from './transport.js';

/** The most workflow ids POST /n8n-packages/export takes in one call (more: 400, measured on 2.41.1). */
export const PACKAGE_EXPORT_MAX_IDS = 300;

/**
 * A package export as small as n8n makes one: no tags, no variable values, no credential values,
 * sub-workflows by reference (so a workflow calling one not asked for does not fail the export).
 */
const SMALLEST_EXPORT = {
  includeTags: false,
  includeVariableValues: false,
  missingWorkflowDependencyPolicy: 'reference-only',
  credentialExportPolicy: 'no-values',
  includeArchivedWorkflows: true,
} as const;

/** Shells created under their package ids; their content follows by PUT. */
const KEEP_IDS_IMPORT = {
  workflowConflictPolicy: 'fail',
  workflowIdPolicy: 'source',
  workflowPublishingPolicy: 'preserve-published-state',
} as const;

/**
 * Content created with new ids, as POST /workflows would: unpublished (the restore publishes), node
 * types n8n lacks accepted (POST accepts them too), a package id the project already knows refused.
 * The manifest lists no requirements, so the credential modes never come into play; they say what
 * n8n should do if it ever checks: match by id, create nothing.
 */
export const NEW_IDS_IMPORT = {
  workflowConflictPolicy: 'fail',
  workflowIdPolicy: 'new',
  workflowPublishingPolicy: 'unpublish-all',
  missingNodeTypeMode: 'import-anyway',
  credentialMatchingMode: 'id-only',
  credentialMissingMode: 'must-preexist',
} as const;

/** The node-type probe: refused by n8n whenever a type is missing, and the sentinel always is. */
const PROBE_IMPORT = {
  workflowConflictPolicy: 'fail',
  workflowIdPolicy: 'new',
  missingNodeTypeMode: 'fail',
} as const;

export class HttpPackages implements N8nPackagesApi {
  constructor(
    private readonly http: N8nTransport,
    /** To delete what a probe created, should an n8n ever import it. */
    private readonly workflows: Pick<N8nWorkflowsApi, 'deleteWorkflow'>,
  ) {}

  async importWorkflows(
    workflows: readonly PackagedWorkflow[],
    options: { projectId?: string; folderId?: string; keepIds: boolean },
  ): Promise<{ sourceId: string; id: string }[]> {
    const multipart = await packageForm(workflowPackage(workflows, new Date()), {
      ...(options.keepIds ? KEEP_IDS_IMPORT : NEW_IDS_IMPORT),
      ...(options.projectId ? { projectId: options.projectId } : {}),
      ...(options.folderId ? { folderId: options.folderId } : {}),
    });
    const answer = await this.http.json<{ workflows?: { sourceWorkflowId?: string; localId?: string }[] }>(
      'POST',
      '/n8n-packages/import',
      { route: '/n8n-packages/import', multipart },
    );
    return (answer?.workflows ?? []).flatMap((w) =>
      w.sourceWorkflowId && w.localId ? [{ sourceId: w.sourceWorkflowId, id: w.localId }] : [],
    );
  }

  /** A GET of the import route: 405 where it exists, 404 where it does not (n8n before 2.24). */
  async supportsWorkflowImport(): Promise<boolean> {
    try {
      await this.http.answer('GET', '/n8n-packages/import', { route: '/n8n-packages/import' });
      return true;
    } catch (error) {
      if (error instanceof NotFoundError) return false;
      if (error instanceof N8nApiError && error.status === 405) return true;
      throw error;
    }
  }

  /**
   * A package import n8n must refuse: one archived workflow holding a node per type asked about plus
   * a sentinel type no n8n has, so n8n answers 422 listing every missing (type, version) and writes
   * nothing (measured on 2.41.1). Should an n8n import it all the same, what it created is deleted
   * and the answer says the target could not tell.
   */
  async missingNodeTypes(types: readonly NodeTypeUse[]): Promise<NodeTypesAnswer> {
    const multipart = await packageForm(nodeTypeProbePackage(types, new Date()), PROBE_IMPORT);
    let answer: HttpAnswer;
    try {
      // Refused by construction (the sentinel), so asking again after a lost answer changes nothing.
      answer = await this.http.answer('POST', '/n8n-packages/import', {
        route: '/n8n-packages/import',
        multipart,
        accept: [422],
        idempotent: true,
      });
    } catch (error) {
      if (error instanceof AuthenticationError || !(error instanceof N8nApiError)) throw error;
      return { missing: undefined, reason: nodeTypesUnknownBecause(error) };
    }
    const body = jsonOrUndefined(answer);
    if (answer.status === 422) {
      const missing = missingFromProbe(body);
      if (missing) return { missing };
    }
    for (const id of createdByImport(body)) await this.workflows.deleteWorkflow(id);
    return { missing: undefined, reason: probeNotRefused(answer.status) };
  }

  /**
   * Exports the first workflow listed as a package, as small as n8n makes one (no tags, no variable
   * values, no credential values, sub-workflows by reference), and reads its manifest's
   * `sourceN8nVersion` (measured on n8n 2.41.1: docs/REAL-N8N-FINDINGS.md). What stops it from
   * being learned becomes the reason, except a rejected key, which fails everything else too.
   */
  async n8nVersion(): Promise<N8nVersionAnswer> {
    try {
      const page = await this.http.json<{ data?: { id?: unknown }[] }>('GET', '/workflows', {
        route: '/workflows',
        query: { limit: 1, excludePinnedData: true },
      });
      const id = page?.data?.[0]?.id;
      if (typeof id !== 'string') return { version: null, reason: NO_WORKFLOW_TO_EXPORT };
      const answer = await exportPackage(this.http, [id]);
      const version = packageSourceVersion(answer.body);
      return version ? { version } : { version: null, reason: noVersionInExport(answer) };
    } catch (error) {
      if (error instanceof AuthenticationError || !(error instanceof N8nApiError)) throw error;
      return { version: null, reason: versionUnknownBecause(error) };
    }
  }

  async workflowFolders(ids: readonly string[]): Promise<Map<string, string | null>> {
    const folders = new Map<string, string | null>();
    for (let at = 0; at < ids.length; at += PACKAGE_EXPORT_MAX_IDS)
      for (const [id, folder] of await exportedFolders(this.http, ids.slice(at, at + PACKAGE_EXPORT_MAX_IDS)))
        folders.set(id, folder);
    return folders;
  }
}

/**
 * One package export of `ids`, read for each workflow.json's `parentFolderId`. n8n refuses the
 * whole call with 400 for one workflow it cannot export ("1 workflow(s) not found or not
 * accessible. Export aborted." for one deleted since it was listed; an id that is no path
 * segment): the ids are halved until that one is alone, and it is left out.
 */
async function exportedFolders(
  http: N8nTransport,
  ids: readonly string[],
): Promise<Map<string, string | null>> {
  if (ids.length === 0) return new Map();
  let answer: HttpAnswer;
  try {
    answer = await exportPackage(http, ids);
  } catch (error) {
    if (!(error instanceof N8nApiError) || error.status !== 400) throw error;
    if (ids.length === 1) return new Map();
    const half = Math.ceil(ids.length / 2);
    const [first, second] = await Promise.all([
      exportedFolders(http, ids.slice(0, half)),
      exportedFolders(http, ids.slice(half)),
    ]);
    return new Map([...first, ...second]);
  }
  const folders = packageWorkflowFolders(answer.body);
  if (!folders) throw exportNamesNoWorkflows(answer);
  return folders;
}

/** POST /n8n-packages/export of these workflows, as small as n8n makes one; it writes nothing. */
function exportPackage(http: N8nTransport, ids: readonly string[]): Promise<HttpAnswer> {
  return http.answer('POST', '/n8n-packages/export', {
    route: '/n8n-packages/export',
    idempotent: true,
    body: { ...SMALLEST_EXPORT, workflowIds: ids },
  });
}

/** The package-import form: the `.n8np` bytes and its fields, encoded once so a retry sends the same bytes. */
async function packageForm(
  pkg: Buffer,
  fields: Record<string, string>,
): Promise<{ body: Buffer; contentType: string }> {
  const form = new FormData();
  form.set('package', new Blob([new Uint8Array(pkg)]), 'n8n-ark.n8np');
  for (const [name, value] of Object.entries(fields)) form.set(name, value);
  const encoded = new Request('http://n8n-ark.invalid/', { method: 'POST', body: form });
  return {
    body: Buffer.from(await encoded.arrayBuffer()),
    contentType: encoded.headers.get('content-type') ?? 'multipart/form-data',
  };
}

function jsonOrUndefined(answer: HttpAnswer): unknown {
  try {
    return JSON.parse(answer.body.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** Why the node-type probe could not be asked, from its error. */
function nodeTypesUnknownBecause(error: N8nApiError): string {
  if (error instanceof NotFoundError)
    return 'the target has no POST /n8n-packages/import (n8n 2.24 or later has it), the only answer that names node types it lacks';
  if (error instanceof MissingScopeError)
    return 'the API key lacks the workflow:import scope that the node-type probe (POST /n8n-packages/import, nothing written) needs';
  return error.message;
}

function probeNotRefused(status: number): string {
  return `n8n answered the node-type probe (POST /n8n-packages/import) with ${status}, not the refusal that names missing node types`;
}

const NO_WORKFLOW_TO_EXPORT =
  'the instance has no workflow, and only the package export of one (POST /n8n-packages/export) states the version';

function noVersionInExport(answer: HttpAnswer): string {
  return `POST /n8n-packages/export answered no package whose manifest states sourceN8nVersion (${describeAnswer(answer)})`;
}

/** Why an instance's version could not be learned, from the error of the export that would tell it. */
function versionUnknownBecause(error: N8nApiError): string {
  if (error instanceof NotFoundError && error.path === '/n8n-packages/export')
    return 'the instance has no POST /n8n-packages/export (n8n 2.24 or later has it), the only route that states the version';
  if (error instanceof MissingScopeError && error.path === '/n8n-packages/export')
    return 'the API key lacks the workflow:export scope that POST /n8n-packages/export, the only route that states the version, needs';
  return error.message;
}

function exportNamesNoWorkflows(answer: HttpAnswer): N8nApiError {
  return new N8nApiError(
    `n8n answered POST /n8n-packages/export with no package that names its workflows (${describeAnswer(answer)})`,
    { status: answer.status, method: 'POST', path: '/n8n-packages/export' },
  );
}
