/**
 * The n8n client: n8n's Public API v1 over HTTP, one module per area over one transport. The CLI
 * and the Lambda handlers build it here and nowhere else (createN8nClient).
 *
 * Lists follow cursors to the end with limit=250, refuse a repeated cursor, and drop an item the
 * previous two pages had (cursors are offset paging underneath, which repeats items when something
 * is inserted mid-scan). Transient failures (429, 500, 502, 503, 504, network failures, timeouts)
 * are retried with exponential backoff and full jitter, honouring Retry-After up to a cap; a write
 * that is not idempotent only when n8n certainly did not carry it out, and otherwise fails with
 * AmbiguousWriteError. Errors are ours, and never carry the API key.
 */
import type { N8nEndpoint } from '../../core/ports.js';
import { HttpBodyLimit } from './body-limit.js';
import { HttpCommunityPackages } from './community-packages.js';
import { HttpCredentials } from './credentials.js';
import { HttpDataTables } from './data-tables.js';
import { HttpDiscovery } from './discovery.js';
import { HttpPackages } from './packages.js';
import { HttpProjects } from './projects.js';
import { HttpTags } from './tags.js';
import { type N8nClientOptions, N8nTransport } from './transport.js';
import { HttpUsers } from './users.js';
import { HttpVariables } from './variables.js';
import { HttpWebhooks } from './webhooks.js';
import { HttpWorkflows } from './workflows.js';

export { NEW_IDS_IMPORT } from './packages.js';
export { DEFAULT_MAX_ANSWER_BYTES, type N8nClientOptions, normaliseBaseUrl } from './transport.js';

/**
 * Every area of the Public API (N8nApi, with the preflight of production webhooks), the deletes of a drill's scratch instance
 * (N8nScratchDeletes) and what the key may do (N8nCapabilities), with the areas' own return types
 * (listings that can also be read page by page).
 */
export type N8nClient = N8nEndpoint &
  Methods<HttpWorkflows> &
  Methods<HttpPackages> &
  Methods<HttpCommunityPackages> &
  Methods<HttpTags> &
  Methods<HttpVariables> &
  Methods<HttpDataTables> &
  Methods<HttpCredentials> &
  Methods<HttpProjects> &
  Methods<HttpUsers> &
  Methods<HttpWebhooks> &
  Methods<HttpDiscovery> &
  Methods<HttpBodyLimit>;

/** The public methods of an area's client (a class type's `keyof` has no private member). */
type Methods<Area> = Pick<Area, keyof Area>;

/** An n8n client for one instance: every area over one transport (one pool of sockets, one concurrency bound). */
export function createN8nClient(options: N8nClientOptions): N8nClient {
  const http = new N8nTransport(options);
  const workflows = new HttpWorkflows(http);
  return {
    baseUrl: http.baseUrl,
    ...methodsOf(workflows),
    ...methodsOf(new HttpPackages(http, workflows)),
    ...methodsOf(new HttpCommunityPackages(http)),
    ...methodsOf(new HttpTags(http)),
    ...methodsOf(new HttpVariables(http)),
    ...methodsOf(new HttpDataTables(http)),
    ...methodsOf(new HttpCredentials(http)),
    ...methodsOf(new HttpProjects(http)),
    ...methodsOf(new HttpUsers(http)),
    ...methodsOf(new HttpWebhooks(options)),
    ...methodsOf(new HttpDiscovery(http)),
    ...methodsOf(new HttpBodyLimit(http)),
  };
}

/**
 * The methods of an area's client, bound to it, as own properties that spread into one object (a
 * class's methods live on its prototype, which a spread leaves behind). An area's class has only
 * the methods of its port: its helpers are functions of its module.
 */
function methodsOf<Area extends object>(area: Area): Methods<Area> {
  const methods: Record<string, unknown> = {};
  for (const name of Object.getOwnPropertyNames(Object.getPrototypeOf(area))) {
    const value: unknown = Reflect.get(area, name);
    if (name !== 'constructor' && typeof value === 'function') methods[name] = value.bind(area);
  }
  return methods as Methods<Area>;
}
