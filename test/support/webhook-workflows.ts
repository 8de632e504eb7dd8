/**
 * Workflows whose trigger holds a production webhook, as the contract suite, the integration tests
 * and the e2e tests create them (bodies POST /workflows takes).
 */
type Body = {
  name: string;
  nodes: Record<string, unknown>[];
  connections: Record<string, never>;
  settings: { executionOrder: string };
};

/** A Webhook-trigger workflow; `node` overrides fields of its one node (a fixed webhookId, say). */
export function webhookWorkflow(name: string, parameters: Record<string, unknown>, node = {}): Body {
  return {
    name,
    nodes: [
      {
        name: 'Hook',
        type: 'n8n-nodes-base.webhook',
        typeVersion: 2,
        position: [0, 0],
        webhookId: crypto.randomUUID(),
        parameters,
        ...node,
      },
    ],
    connections: {},
    settings: { executionOrder: 'v1' },
  };
}

/** A Form Trigger 2.2 workflow on `/form/<path>` (its `options.path`). */
export function formWorkflow(name: string, path: string): Body {
  return {
    name,
    nodes: [
      {
        name: 'Form',
        type: 'n8n-nodes-base.formTrigger',
        typeVersion: 2.2,
        position: [0, 0],
        webhookId: crypto.randomUUID(),
        parameters: {
          formTitle: 'Contact',
          formFields: { values: [{ fieldLabel: 'Name' }] },
          options: { path },
        },
      },
    ],
    connections: {},
    settings: { executionOrder: 'v1' },
  };
}
