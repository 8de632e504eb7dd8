import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Workflow } from '../../functions/core/n8n-types.js';
import {
  findWorkflowReferences,
  type IdMaps,
  isDanglingReference,
  rewriteWorkflowReferences,
} from '../../functions/core/references/workflow-references.js';

function fixture(name: string): Workflow {
  return JSON.parse(
    readFileSync(new URL(`../fixtures/workflows/${name}.json`, import.meta.url), 'utf8'),
  ) as Workflow;
}

function maps(partial: Partial<Record<keyof IdMaps, Record<string, string>>>): IdMaps {
  return {
    workflows: new Map(Object.entries(partial.workflows ?? {})),
    credentials: new Map(Object.entries(partial.credentials ?? {})),
    dataTables: new Map(Object.entries(partial.dataTables ?? {})),
  };
}

function node(workflow: Workflow, name: string) {
  const found = workflow.nodes.find((n) => n.name === name);
  if (!found) throw new Error(`fixture has no node ${name}`);
  return found;
}

describe('findWorkflowReferences', () => {
  it('finds Execute Workflow calls by plain string, id, list and URL locator, skipping expressions, inline JSON and self-calls', () => {
    const references = findWorkflowReferences(fixture('execute-workflow-calls'));

    expect(references).toEqual([
      {
        kind: 'workflow',
        id: 'wfSubA0000000001',
        node: 'Call by string',
        location: 'nodes["Call by string"].parameters.workflowId',
      },
      {
        kind: 'workflow',
        id: 'wfSubB0000000001',
        node: 'Call by id',
        location: 'nodes["Call by id"].parameters.workflowId.value',
      },
      {
        kind: 'workflow',
        id: 'wfSubA0000000001',
        node: 'Call from list',
        location: 'nodes["Call from list"].parameters.workflowId.value',
      },
      {
        kind: 'workflow',
        id: 'wfSubB0000000001',
        node: 'Call by URL',
        location: 'nodes["Call by URL"].parameters.workflowId.value',
      },
    ]);
  });

  it('finds AI tool-workflow calls in both the locator and the legacy string form, and the model credential', () => {
    const references = findWorkflowReferences(fixture('tool-workflow'));

    expect(references.map((r) => [r.kind, r.id, r.node])).toEqual([
      ['credential', 'credOpenAi000001', 'Model'],
      ['workflow', 'wfSubA0000000001', 'Lookup order'],
      ['workflow', 'wfSubB0000000001', 'Legacy tool'],
    ]);
  });

  it('finds every credential of every node with its type', () => {
    const references = findWorkflowReferences(fixture('credentials'));

    expect(references).toEqual([
      {
        kind: 'credential',
        id: 'credSlack0000001',
        node: 'Post to Slack',
        credentialType: 'slackApi',
        location: 'nodes["Post to Slack"].credentials.slackApi.id',
      },
      {
        kind: 'credential',
        id: 'credHeader000001',
        node: 'Call API',
        credentialType: 'httpHeaderAuth',
        location: 'nodes["Call API"].credentials.httpHeaderAuth.id',
      },
      {
        kind: 'credential',
        id: 'credBasic0000001',
        node: 'Call API',
        credentialType: 'httpBasicAuth',
        location: 'nodes["Call API"].credentials.httpBasicAuth.id',
      },
    ]);
  });

  it('finds the error workflow and each caller id, leaving out the workflow itself', () => {
    const references = findWorkflowReferences(fixture('settings-references'));

    expect(references).toEqual([
      { kind: 'errorWorkflow', id: 'wfErrors00000001', location: 'settings.errorWorkflow' },
      { kind: 'callerId', id: 'wfMain0000000001', location: 'settings.callerIds[0]' },
      { kind: 'callerId', id: 'wfAgent000000001', location: 'settings.callerIds[1]' },
    ]);
  });

  it('finds Data Table node and tool references by id, not tables chosen by name or table-level operations', () => {
    const references = findWorkflowReferences(fixture('data-tables'));

    expect(references).toEqual([
      {
        kind: 'dataTable',
        id: 'dtCustomers00001',
        node: 'Insert customer',
        location: 'nodes["Insert customer"].parameters.dataTableId.value',
      },
      {
        kind: 'dataTable',
        id: 'dtOrders00000001',
        node: 'Find order',
        location: 'nodes["Find order"].parameters.dataTableId.value',
      },
    ]);
  });

  it('reports unset, null and stringified-undefined ids as dangling, and reads "DEFAULT" as no error workflow', () => {
    const references = findWorkflowReferences(fixture('dangling'));

    expect(references.map((r) => [r.kind, r.id, r.node])).toEqual([
      ['workflow', '', 'Empty call'],
      ['workflow', '${undefined}', 'Undefined call'],
      ['workflow', '', 'Null call'],
      ['workflow', '', 'Unset call'],
      ['credential', '', 'Old credential'],
      ['dataTable', '', 'No table'],
    ]);
    expect(references.every(isDanglingReference)).toBe(true);
  });

  it('includes self-references when asked, as a restore must rewrite them too', () => {
    const references = findWorkflowReferences(fixture('execute-workflow-calls'), { includeSelf: true });

    expect(references.filter((r) => r.id === 'wfMain0000000001').map((r) => r.node)).toEqual(['Call itself']);
  });

  it('ignores expressions in settings', () => {
    const workflow = fixture('settings-references');
    workflow.settings = { errorWorkflow: '={{ $vars.ERRORS }}', callerIds: '={{ $vars.CALLERS }}' };

    expect(findWorkflowReferences(workflow)).toEqual([]);
  });
});

describe('rewriteWorkflowReferences', () => {
  it('rewrites sub-workflow calls in every form, including cached and URL-mode links, without touching the input', () => {
    const original = fixture('execute-workflow-calls');
    const before = structuredClone(original);

    const { workflow, unresolved } = rewriteWorkflowReferences(
      original,
      maps({
        workflows: { wfSubA0000000001: 'newSubA', wfSubB0000000001: 'newSubB', wfMain0000000001: 'newMain' },
      }),
    );

    expect(unresolved).toEqual([]);
    expect(original).toEqual(before);
    expect(node(workflow, 'Call by string').parameters.workflowId).toBe('newSubA');
    expect(node(workflow, 'Call by id').parameters.workflowId).toEqual({
      __rl: true,
      value: 'newSubB',
      mode: 'id',
    });
    expect(node(workflow, 'Call from list').parameters.workflowId).toEqual({
      __rl: true,
      value: 'newSubA',
      mode: 'list',
      cachedResultName: 'Sub A',
      cachedResultUrl: '/workflow/newSubA',
    });
    expect(node(workflow, 'Call by URL').parameters.workflowId).toEqual({
      __rl: true,
      value: 'https://n8n.example.com/workflow/newSubB',
      mode: 'url',
    });
    expect(node(workflow, 'Call itself').parameters.workflowId).toEqual({
      __rl: true,
      value: 'newMain',
      mode: 'id',
    });
    expect(node(workflow, 'Call by expression').parameters.workflowId).toEqual(
      before.nodes[5]?.parameters.workflowId,
    );
  });

  it('reports calls the map does not know by node and location, leaves them unchanged, and stays quiet about self-calls', () => {
    const { workflow, unresolved } = rewriteWorkflowReferences(
      fixture('execute-workflow-calls'),
      maps({ workflows: { wfSubA0000000001: 'newSubA' } }),
    );

    expect(unresolved.map((r) => [r.node, r.location])).toEqual([
      ['Call by id', 'nodes["Call by id"].parameters.workflowId.value'],
      ['Call by URL', 'nodes["Call by URL"].parameters.workflowId.value'],
    ]);
    expect(node(workflow, 'Call by id').parameters.workflowId).toEqual({
      __rl: true,
      value: 'wfSubB0000000001',
      mode: 'id',
    });
  });

  it('rewrites tool-workflow and credential references and keeps credential names', () => {
    const { workflow, unresolved } = rewriteWorkflowReferences(
      fixture('tool-workflow'),
      maps({
        workflows: { wfSubA0000000001: 'newSubA', wfSubB0000000001: 'newSubB' },
        credentials: { credOpenAi000001: 'credOpenAi000001' },
      }),
    );

    expect(unresolved).toEqual([]);
    expect(node(workflow, 'Lookup order').parameters.workflowId).toMatchObject({
      value: 'newSubA',
      cachedResultUrl: '/workflow/newSubA',
    });
    expect(node(workflow, 'Legacy tool').parameters.workflowId).toBe('newSubB');
    expect(node(workflow, 'Model').credentials).toEqual({
      openAiApi: { id: 'credOpenAi000001', name: 'OpenAI prod' },
    });
  });

  it('rewrites credential ids through the map and reports a credential missing from it', () => {
    const { workflow, unresolved } = rewriteWorkflowReferences(
      fixture('credentials'),
      maps({ credentials: { credSlack0000001: 'credSlackNew0001', credHeader000001: 'credHeader000001' } }),
    );

    expect(node(workflow, 'Post to Slack').credentials).toEqual({
      slackApi: { id: 'credSlackNew0001', name: 'Slack bot' },
    });
    expect(unresolved).toEqual([
      {
        kind: 'credential',
        id: 'credBasic0000001',
        node: 'Call API',
        credentialType: 'httpBasicAuth',
        location: 'nodes["Call API"].credentials.httpBasicAuth.id',
      },
    ]);
  });

  it('rewrites the error workflow and caller ids, keeping the caller list formatting', () => {
    const { workflow, unresolved } = rewriteWorkflowReferences(
      fixture('settings-references'),
      maps({
        workflows: {
          wfErrors00000001: 'newErrors',
          wfMain0000000001: 'newMain',
          wfAgent000000001: 'newAgent',
          wfSettings000001: 'newSelf',
        },
      }),
    );

    expect(unresolved).toEqual([]);
    expect(workflow.settings).toEqual({
      executionOrder: 'v1',
      errorWorkflow: 'newErrors',
      callerPolicy: 'workflowsFromAList',
      callerIds: 'newMain, newAgent,newSelf',
    });
  });

  it('rewrites data-table ids in the value and the cached URL, leaving tables chosen by name alone', () => {
    const { workflow, unresolved } = rewriteWorkflowReferences(
      fixture('data-tables'),
      maps({ dataTables: { dtCustomers00001: 'dtNewCust', dtOrders00000001: 'dtNewOrders' } }),
    );

    expect(unresolved).toEqual([]);
    expect(node(workflow, 'Insert customer').parameters.dataTableId).toEqual({
      __rl: true,
      value: 'dtNewCust',
      mode: 'list',
      cachedResultName: 'customers',
      cachedResultUrl: '/projects/prjOps0000000001/datatables/dtNewCust',
    });
    expect(node(workflow, 'Find order').parameters.dataTableId).toEqual({
      __rl: true,
      value: 'dtNewOrders',
      mode: 'id',
    });
    expect(node(workflow, 'By name').parameters.dataTableId).toEqual({
      __rl: true,
      value: 'customers',
      mode: 'name',
    });
  });

  it('reports every dangling reference as unresolved', () => {
    const { unresolved } = rewriteWorkflowReferences(fixture('dangling'), maps({}));

    expect(unresolved).toHaveLength(6);
  });

  it('replaces an id in a URL only where it is a whole path segment', () => {
    const workflow = fixture('execute-workflow-calls');
    const locator = node(workflow, 'Call from list').parameters.workflowId as Record<string, unknown>;
    locator.cachedResultUrl = '/workflow/wfSubA0000000001?from=wfSubA0000000001x';

    const { workflow: rewritten } = rewriteWorkflowReferences(
      workflow,
      maps({ workflows: { wfSubA0000000001: 'N' } }),
    );

    expect(node(rewritten, 'Call from list').parameters.workflowId).toMatchObject({
      cachedResultUrl: '/workflow/N?from=wfSubA0000000001x',
    });
  });
});
