/**
 * Reading n8n's package export (`.n8np`): the files of the gzipped tar, long paths included (n8n
 * writes them with node-tar, a pax header or the ustar prefix), and each workflow's folder from the
 * manifest's targets and their workflow.json.
 */
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  packageFiles,
  packageSourceVersion,
  packageWorkflowFolders,
  tar,
} from '../../functions/adapters/n8n/package-format.js';

const exportOf = (files: { path: string; json: unknown }[]) => gzipSync(tar(files, 1_764_000_000));

const manifest = (workflows: { id: string; name: string; target: string }[]) => ({
  path: 'manifest.json',
  json: {
    packageFormatVersion: '1',
    exportedAt: '2026-11-29T00:00:00.000Z',
    sourceN8nVersion: '2.41.1',
    sourceId: 'x',
    workflows,
  },
});

describe('n8n packages', () => {
  it('reads a path longer than a tar header holds, carried by a pax header', () => {
    const long = `workflows/${'a-very-long-workflow-name-'.repeat(8)}-AbC123/workflow.json`;

    const files = packageFiles(exportOf([{ path: long, json: { id: 'AbC123' } }]));

    expect(long.length).toBeGreaterThan(100);
    expect([...files.keys()]).toEqual([long]);
    expect(JSON.parse(files.get(long)?.toString('utf8') ?? '')).toEqual({ id: 'AbC123' });
  });

  it("tells each workflow's folder from its workflow.json, null at the root, leaving out one without a file", () => {
    const bytes = exportOf([
      { path: 'workflows/in-sub-W1/workflow.json', json: { id: 'W1', parentFolderId: 'F2' } },
      { path: 'workflows/at-root-W2/workflow.json', json: { id: 'W2', parentFolderId: null } },
      manifest([
        { id: 'W1', name: 'In sub', target: 'workflows/in-sub-W1' },
        { id: 'W2', name: 'At root', target: 'workflows/at-root-W2' },
        { id: 'W3', name: 'No file', target: 'workflows/no-file-W3' },
      ]),
    ]);

    expect(packageWorkflowFolders(bytes)).toEqual(
      new Map([
        ['W1', 'F2'],
        ['W2', null],
      ]),
    );
    expect(packageSourceVersion(bytes)).toBe('2.41.1');
  });

  it('answers undefined for bytes that are no package', () => {
    expect(packageWorkflowFolders(Buffer.from('{"message":"Forbidden"}'))).toBeUndefined();
    expect(packageWorkflowFolders(exportOf([{ path: 'other.json', json: {} }]))).toBeUndefined();
  });
});
