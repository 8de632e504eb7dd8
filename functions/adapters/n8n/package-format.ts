/**
 * n8n packages (`.n8np`, n8n 2.24+): a gzipped tar that POST /n8n-packages/import reads. n8n-ark
 * writes a manifest and, per workflow, `workflow.json` (id, name, nodes, connections, settings:
 * the parts n8n's package schema carries) plus `workflow-metadata.json`. A restore keeping ids sends
 * empty shells whose content follows by PUT (core/kinds/workflows/keep-ids-import.ts); a restore with
 * new ids sends the content of the workflows the package carries exactly
 * (core/kinds/workflows/package-eligibility.ts). The layout is the one n8n's own export writes
 * (package format "1", measured on n8n 2.41.1; docs/REAL-N8N-FINDINGS.md).
 */
import { randomUUID } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { PackagedWorkflow } from '../../core/ports.js';

export const PACKAGE_FORMAT_VERSION = '1';

/**
 * The package's bytes: workflows/w<n>/… per workflow (short ASCII paths whatever the ids look
 * like). No `requirements` in the manifest, so n8n checks, binds or creates no credential, data
 * table or variable: node credentials, data-table ids and `$vars` stay as written, as on POST.
 */
export function workflowPackage(workflows: readonly PackagedWorkflow[], exportedAt: Date): Buffer {
  const entries: { path: string; json: unknown }[] = [];
  const manifestWorkflows = workflows.map((workflow, index) => {
    const target = `workflows/w${index + 1}`;
    entries.push({
      path: `${target}/workflow.json`,
      json: {
        id: workflow.id,
        name: workflow.name,
        nodes: workflow.nodes ?? [],
        connections: workflow.connections ?? {},
        settings: workflow.settings ?? {},
        parentFolderId: null,
        isArchived: false,
        tagIds: [],
      },
    });
    entries.push({
      path: `${target}/workflow-metadata.json`,
      json: { versionId: randomUUID(), publishedVersionId: null },
    });
    return { id: workflow.id, name: workflow.name, target };
  });
  const manifest = {
    packageFormatVersion: PACKAGE_FORMAT_VERSION,
    exportedAt: exportedAt.toISOString(),
    sourceN8nVersion: 'n8n-ark',
    sourceId: 'n8n-ark',
    workflows: manifestWorkflows,
  };
  return gzipSync(
    tar([{ path: 'manifest.json', json: manifest }, ...entries], Math.floor(exportedAt.getTime() / 1000)),
  );
}

/**
 * A node type no n8n has: the probe package always holds it, so n8n always refuses the import
 * (writing nothing) and names every missing type, whatever else the target knows.
 */
export const SENTINEL_NODE_TYPE = { type: 'n8n-ark-probe.sentinel', typeVersion: 1 } as const;

/**
 * The node-type probe (N8nApi.missingNodeTypes): one archived workflow with a node per type asked
 * about, plus the sentinel. n8n checks the package's nodes (not its manifest) against the node types
 * it has loaded, and refuses the whole import when any is missing.
 */
export function nodeTypeProbePackage(
  types: readonly { type: string; typeVersion: number }[],
  exportedAt: Date,
): Buffer {
  const nodes = [...types, SENTINEL_NODE_TYPE].map(({ type, typeVersion }, index) => ({
    id: `n8n-ark-probe-${index + 1}`,
    name: `probe ${index + 1}`,
    type,
    typeVersion,
    position: [index * 20, 0],
    parameters: {},
  }));
  const target = 'workflows/probe';
  const workflow = { id: 'n8nArkProbe00001', name: 'n8n-ark node type probe (safe to delete)' };
  const manifest = {
    packageFormatVersion: PACKAGE_FORMAT_VERSION,
    exportedAt: exportedAt.toISOString(),
    sourceN8nVersion: 'n8n-ark',
    sourceId: 'n8n-ark',
    workflows: [{ ...workflow, target }],
  };
  const files = [
    { path: 'manifest.json', json: manifest },
    {
      path: `${target}/workflow.json`,
      json: {
        ...workflow,
        nodes,
        connections: {},
        settings: {},
        parentFolderId: null,
        isArchived: true,
        tagIds: [],
      },
    },
    { path: `${target}/workflow-metadata.json`, json: { versionId: randomUUID(), publishedVersionId: null } },
  ];
  return gzipSync(tar(files, Math.floor(exportedAt.getTime() / 1000)));
}

/**
 * The missing node types a refused probe names (422 `issues[]` of type "missing-node-type"), the
 * sentinel left out; undefined when the answer is not that refusal or does not name the sentinel
 * (then it cannot be trusted to have checked every type).
 */
export function missingFromProbe(body: unknown): { type: string; typeVersion: number }[] | undefined {
  const issues = (body as { issues?: unknown } | undefined)?.issues;
  if (!Array.isArray(issues)) return undefined;
  const missing = issues.flatMap((issue: { type?: unknown; nodeType?: unknown; typeVersion?: unknown }) =>
    issue?.type === 'missing-node-type' &&
    typeof issue.nodeType === 'string' &&
    typeof issue.typeVersion === 'number'
      ? [{ type: issue.nodeType, typeVersion: issue.typeVersion }]
      : [],
  );
  const isSentinel = (t: { type: string }) => t.type === SENTINEL_NODE_TYPE.type;
  return missing.some(isSentinel) ? missing.filter((t) => !isSentinel(t)) : undefined;
}

/** The workflow ids an import answer says it created (`workflows[].localId` with status "created"). */
export function createdByImport(body: unknown): string[] {
  const workflows = (body as { workflows?: unknown } | undefined)?.workflows;
  if (!Array.isArray(workflows)) return [];
  return workflows.flatMap((w: { localId?: unknown; status?: unknown }) =>
    typeof w?.localId === 'string' && w.status !== 'skipped' ? [w.localId] : [],
  );
}

const BLOCK = 512;

/**
 * `sourceN8nVersion` from the manifest of a package n8n exported (the `.n8np` bytes), or undefined
 * when the bytes are no package or its manifest states none.
 */
export function packageSourceVersion(gzipped: Buffer): string | undefined {
  const version = packageManifest(packageFiles(gzipped))?.sourceN8nVersion;
  return typeof version === 'string' && version !== '' ? version : undefined;
}

/**
 * Each exported workflow's folder, as n8n 2.41 writes it: the manifest lists every workflow with
 * its `target` directory, and `<target>/workflow.json` carries `parentFolderId` (null at the
 * project's root; n8n's WorkflowSerializer writes `workflow.parentFolder?.id ?? null`). A workflow
 * whose file is missing or says nothing readable is left out. Undefined when the bytes are no package.
 */
export function packageWorkflowFolders(gzipped: Buffer): Map<string, string | null> | undefined {
  const files = packageFiles(gzipped);
  const manifest = packageManifest(files);
  if (!manifest) return undefined;
  const folders = new Map<string, string | null>();
  const listed = Array.isArray(manifest.workflows) ? manifest.workflows : [];
  for (const entry of listed as { id?: unknown; target?: unknown }[]) {
    if (typeof entry?.id !== 'string' || typeof entry.target !== 'string') continue;
    const file = jsonObject(files.get(`${entry.target}/workflow.json`));
    const folder = file?.parentFolderId;
    if (file?.id === entry.id && (folder === null || typeof folder === 'string'))
      folders.set(entry.id, folder);
  }
  return folders;
}

function packageManifest(files: Map<string, Buffer>): Record<string, unknown> | undefined {
  return jsonObject(files.get('manifest.json'));
}

function jsonObject(bytes: Buffer | undefined): Record<string, unknown> | undefined {
  if (!bytes) return undefined;
  try {
    const value = JSON.parse(bytes.toString('utf8')) as unknown;
    return value && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The regular files of a gzipped tar by path, as n8n writes packages (node-tar): ustar headers
 * whose long paths are split into `prefix/name`, or carried by a pax header (`path=`) before the
 * file. Empty when the bytes are not gzip; a cut-short tar gives the files before the cut.
 */
export function packageFiles(gzipped: Buffer): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  let bytes: Buffer;
  try {
    bytes = gunzipSync(gzipped);
  } catch {
    return files;
  }
  let paxPath: string | undefined;
  for (let offset = 0; offset + BLOCK <= bytes.length; ) {
    const header = bytes.subarray(offset, offset + BLOCK);
    const name = headerText(header, 0, 100);
    if (name === '') break;
    const size = Number.parseInt(headerText(header, 124, 12).trim() || '0', 8);
    if (!Number.isSafeInteger(size) || size < 0) break;
    const start = offset + BLOCK;
    const data = bytes.subarray(start, start + size);
    const type = headerText(header, 156, 1);
    if (type === 'x') paxPath = paxRecord(data, 'path');
    else {
      const prefix = headerText(header, 345, 155);
      const path = paxPath ?? (prefix ? `${prefix}/${name}` : name);
      if (type === '0' || type === '') files.set(path.replace(/^\.\//, ''), data);
      paxPath = undefined;
    }
    offset = start + Math.ceil(size / BLOCK) * BLOCK;
  }
  return files;
}

/** One record (`<length> <key>=<value>\n`) of a pax extended header. */
function paxRecord(data: Buffer, key: string): string | undefined {
  for (const line of data.toString('utf8').split('\n')) {
    const record = line.slice(line.indexOf(' ') + 1);
    if (record.startsWith(`${key}=`)) return record.slice(key.length + 1);
  }
  return undefined;
}

/** A NUL-terminated field of a tar header. */
function headerText(header: Buffer, at: number, length: number): string {
  const field = header.subarray(at, at + length);
  const end = field.indexOf(0);
  return field.subarray(0, end < 0 ? length : end).toString('utf8');
}

/**
 * A POSIX ustar archive of regular files. A path longer than a header holds (100 bytes) goes in a
 * pax header before its file, as node-tar (which n8n uses) writes it. Paths must be printable ASCII.
 */
export function tar(files: readonly { path: string; json: unknown }[], mtime: number): Buffer {
  const blocks: Buffer[] = [];
  for (const file of files) {
    if (!/^[\x20-\x7e]{1,4096}$/.test(file.path)) throw new Error(`tar: unsupported path ${file.path}`);
    const data = Buffer.from(JSON.stringify(file.json), 'utf8');
    if (file.path.length > 100) {
      const pax = paxData('path', file.path);
      blocks.push(tarHeader(`PaxHeader/${file.path.slice(-80)}`, pax.length, mtime, 'x'), ...padded(pax));
    }
    blocks.push(tarHeader(file.path.slice(0, 100), data.length, mtime, '0'), ...padded(data));
  }
  blocks.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(blocks);
}

function tarHeader(path: string, size: number, mtime: number, type: '0' | 'x'): Buffer {
  const header = Buffer.alloc(BLOCK);
  header.write(path, 0, 'ascii');
  header.write('0000644\0', 100, 'ascii');
  header.write('0000000\0', 108, 'ascii');
  header.write('0000000\0', 116, 'ascii');
  header.write(`${size.toString(8).padStart(11, '0')}\0`, 124, 'ascii');
  header.write(`${mtime.toString(8).padStart(11, '0')}\0`, 136, 'ascii');
  header.write('        ', 148, 'ascii');
  header.write(type, 156, 'ascii');
  header.write('ustar\0', 257, 'ascii');
  header.write('00', 263, 'ascii');
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return header;
}

function padded(data: Buffer): Buffer[] {
  return [data, Buffer.alloc((BLOCK - (data.length % BLOCK)) % BLOCK)];
}

/** A pax record `<length> <key>=<value>\n`, whose length counts its own digits. */
function paxData(key: string, value: string): Buffer {
  const body = ` ${key}=${value}\n`;
  let length = body.length + 1;
  while (String(length).length + body.length !== length) length += 1;
  return Buffer.from(`${length}${body}`, 'ascii');
}
