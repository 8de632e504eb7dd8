/**
 * Variables: a variable is its key within its project, or among the global ones. A project-scoped
 * variable whose project has no counterpart in the target becomes global (and says so).
 */

import { z } from 'zod';
import { AmbiguousWriteError, ConflictError } from '../errors.js';
import type { InstanceNames } from '../instance/identity.js';
import type { Variable } from '../n8n-types.js';
import type { N8nVariablesApi } from '../ports.js';
import type {
  ApplyContext,
  ArchiveReference,
  ContentNames,
  DiffRecord,
  Kind,
  PlanContext,
  PlanEntry,
} from './kind.js';
import { id, text } from './kind.js';
import { Adoption, AMBIGUOUS_ATTEMPTS } from './shared/adoption.js';
import { decideConflict, renamedVariableKey } from './shared/conflict-policy.js';

declare module './shared/state.js' {
  interface SourceRecords {
    variables: Variable[];
  }
  interface TargetRecords {
    variables: Variable[] | undefined;
  }
}

/**
 * A key some n8n accepted: up to 50 of A-Z, a-z, 0-9 and `_` (n8n 2.41's `VARIABLE_KEY_MAX_LENGTH`
 * and the update DTO's pattern; creating one also wants a first character that is no digit, but
 * keys from before that rule are kept by n8n as they are).
 */
const KEY_ANY_N8N_ACCEPTED = /^[A-Za-z0-9_]{1,50}$/;

function keyProblem(variable: Variable): string | undefined {
  return KEY_ANY_N8N_ACCEPTED.test(variable.key)
    ? undefined
    : `key ${JSON.stringify(variable.key.slice(0, 60))} is not one n8n takes (1 to 50 of A-Z, a-z, 0-9 and _)`;
}

/** The natural key: `<place> / <key>`, the place `global` for a variable of no project. */
export function variableKey(place: string, key: string): string {
  return `${place} / ${key}`;
}

function plan(ctx: PlanContext): void {
  const variables = ctx.source.variables.filter((v) => ctx.isSelected('variables', v.id));
  if (variables.length === 0) return;
  if (!ctx.target.variables) {
    ctx.note(
      `The target cannot take variables (${ctx.target.unavailable.get('variables')}): ${variables.length} variable(s) not restored.`,
    );
    for (const v of variables)
      ctx.add({
        resource: 'variables',
        sourceId: v.id,
        name: v.key,
        action: 'skip',
        reason: 'target cannot take variables',
      });
    return;
  }
  const byKey = new Map<string, Variable>();
  for (const v of ctx.target.variables) {
    const key = variableKey(v.project?.id ?? 'global', v.key);
    if (!byKey.has(key)) byKey.set(key, v);
  }
  const takenKeys = new Set(ctx.target.variables.map((v) => v.key));
  for (const variable of variables) planOne(ctx, variable, byKey, takenKeys);
}

function planOne(
  ctx: PlanContext,
  variable: Variable,
  byKey: Map<string, Variable>,
  takenKeys: Set<string>,
): void {
  const sourceProjectId = variable.project?.id ?? undefined;
  const scope = sourceProjectId ? ctx.scopeOf(sourceProjectId) : undefined;
  const base = {
    resource: 'variables' as const,
    sourceId: variable.id,
    name: variable.key,
    ...(sourceProjectId ? { sourceProjectId } : {}),
    ...ctx.pulledInBy('variables', variable.id),
  };
  if (scope?.kind === 'personal') {
    ctx.warn({
      code: 'variable-scope-lost',
      resource: 'variables',
      message: `variable ${variable.key} belonged to project "${variable.project?.name}", which has no counterpart in the target; it is restored as a global variable`,
    });
  }
  const place =
    scope === undefined || scope.kind === 'personal' ? 'global' : ctx.sourcePlace(sourceProjectId);
  const existing = byKey.get(variableKey(place, variable.key));
  if (!existing) ctx.add({ ...base, action: 'create', reason: 'not in the target' });
  else if (existing.value === variable.value)
    ctx.add({ ...base, action: 'skip', targetId: existing.id, reason: 'identical variable exists' });
  else
    ctx.add(
      decideConflict(ctx.conflictPolicy('variables', variable.id), base, {
        targetId: existing.id,
        why: 'a variable with that key has another value',
        rename: () => {
          const renamed = renamedVariableKey(variable.key, (k) => takenKeys.has(k));
          takenKeys.add(renamed);
          return renamed;
        },
      }),
    );
}

async function apply(ctx: ApplyContext): Promise<void> {
  const entries = ctx.entries('variables').filter((e) => e.action === 'create' || e.action === 'update');
  if (entries.length === 0) return;
  const sources = await ctx.sourceRecords<Variable>('variables');
  const keyOf = (key: string, projectId: string | undefined | null) =>
    variableKey(projectId ?? 'global', key);
  const adoption = new Adoption(
    ctx.ledger,
    'variables',
    { list: () => ctx.api.listVariables(), keys: (v) => [keyOf(v.key, v.project?.id)] },
    ctx.resumed,
  );
  const created: { entry: PlanEntry; key: string }[] = [];
  const keyOfEntry = (entry: PlanEntry, variable: Variable) =>
    keyOf(entry.renameTo ?? variable.key, ctx.targetProject(entry));
  for (const entry of entries) {
    const variable = sources.get(entry.sourceId);
    if (ctx.ledger.isMarked('variables', entry.sourceId)) {
      // Created by an earlier run that stopped before it learnt the id: learnt below with the others.
      const learnt = ctx.ledger.targetId('variables', entry.sourceId);
      if (variable && entry.action === 'create' && !learnt && !ctx.hasFailed(entry))
        created.push({ entry, key: keyOfEntry(entry, variable) });
      continue;
    }
    ctx.checkDeadline();
    if (!variable || ctx.failIfProjectMissing('variables', entry)) continue;
    const projectId = ctx.targetProject(entry);
    const key = entry.renameTo ?? variable.key;
    const body = { key, value: variable.value, ...(projectId ? { projectId } : {}) };
    const what = entry.action === 'create' ? 'creating the variable' : 'updating the variable';
    await ctx.attempt('variables', entry, what, async () => {
      if (entry.action === 'update' && entry.targetId) {
        await ctx.api.updateVariable(entry.targetId, body);
        ctx.ledger.count('updated', 'variables');
      } else {
        const adopted = await adoption.take(keyOf(key, projectId));
        if (adopted) ctx.ledger.recordId('variables', entry.sourceId, adopted);
        else {
          const existing = await createVariable(ctx, adoption, body, keyOf(key, projectId));
          if (existing) ctx.ledger.recordId('variables', entry.sourceId, existing);
          else created.push({ entry, key: keyOf(key, projectId) });
        }
        ctx.ledger.count('created', 'variables');
      }
      ctx.ledger.mark('variables', entry.sourceId);
    });
    await ctx.ledger.checkpoint();
  }
  if (created.length === 0) return;
  // n8n answers 201 without a body: the new ids come from listing again.
  await adoption.refresh();
  for (const { entry, key } of created) {
    const id = await adoption.take(key);
    if (id) ctx.ledger.recordId('variables', entry.sourceId, id);
  }
}

/**
 * Creates a variable: undefined when created (n8n answers without a body, so its id is learnt by
 * listing afterwards), or the id of the unclaimed variable with this key that n8n's 409 points at,
 * or that a create whose answer was lost left. A lost answer is looked up before sending again, at
 * most AMBIGUOUS_ATTEMPTS sends.
 */
async function createVariable(
  ctx: ApplyContext,
  adoption: Adoption<Variable>,
  body: { key: string; value: string; projectId?: string },
  naturalKey: string,
): Promise<string | undefined> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await ctx.api.createVariable(body);
      return undefined;
    } catch (error) {
      // 409, or an answer that never came: the variable with this key, if it is there now, is ours.
      const ambiguous = error instanceof AmbiguousWriteError;
      if (!(error instanceof ConflictError || ambiguous)) throw error;
      await adoption.refresh();
      const existing = await adoption.take(naturalKey);
      if (existing) return existing;
      if (!ambiguous || attempt >= AMBIGUOUS_ATTEMPTS) throw error;
    }
  }
}

/** A variable is its key in its project's natural key (or among the global ones). */
function* indexForDiff(variables: readonly Variable[], names: InstanceNames): Iterable<DiffRecord> {
  for (const variable of variables) {
    const project = variable.project?.id
      ? (names.projects.get(variable.project.id) ?? variable.project.name)
      : 'global';
    yield {
      key: variableKey(project, variable.key),
      id: variable.id,
      canonical: { key: variable.key, value: variable.value, project },
    };
  }
}

export const variablesKind = {
  resource: 'variables',
  restored: true,
  entries: {
    variables: {
      name: 'variables.ndjson',
      record: z.looseObject({
        id,
        key: text,
        value: text,
        project: z.looseObject({ id, name: text }).nullish(),
      }),
      // n8n keeps a key unique among the global variables and within each project.
      naturalKey: (variable: Variable) => ({
        key: variableKey(variable.project?.id ?? 'global', variable.key),
        what: `variable key ${JSON.stringify(variable.key)} ${variable.project ? `in project ${variable.project.id}` : 'among the global ones'}`,
      }),
      problemOf: keyProblem,
      references: (variable: Variable): ArchiveReference[] =>
        variable.project
          ? [
              {
                resource: 'projects',
                id: variable.project.id,
                problem: `a variable belongs to project ${variable.project.id}, which is not in the archive`,
              },
            ]
          : [],
    },
  },
  list: (api: N8nVariablesApi) => api.listVariables(),
  restoreScopes: ['variable:list', 'variable:create', 'variable:update'],
  selection: {
    chosenWithProject: (variable: Variable) => variable.project?.id,
    withoutProject:
      'Variables are not restored with a tag or workflow selection: n8n cannot tell which workflow uses which.',
  },
  plan,
  steps: [{ name: 'variables', run: apply }],
  diff: { index: indexForDiff },
  contents: {
    projectOf: (variable: Variable) => variable.project?.id,
    row: (variable: Variable, names: ContentNames) => ({
      id: variable.id,
      key: variable.key,
      project: names.project(variable.project?.id),
    }),
  },
  scratch: {},
} as const satisfies Kind<'variables', 'variables'>;
