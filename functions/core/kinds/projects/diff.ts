/**
 * Projects in a diff, and the team project that stands for a personal one: a personal project whose
 * owner has no account on the target goes to a team project named after them
 * ("Ana Álvarez <ana@example.com> (personal project)"), never into the key owner's.
 */
import { type InstanceNames, personalOwner, projectKey } from '../../instance/identity.js';
import type { Project, ProjectMember } from '../../n8n-types.js';
import type { DiffRecord } from '../kind.js';

export type SourceProject = Project & { members?: ProjectMember[] };

/** The natural key: `team:<name>` or `personal:<owner e-mail>`. */
export function projectNaturalKey(project: SourceProject): string {
  return projectKey(project, project.members);
}

const STAND_IN = ' (personal project)';

/**
 * The name of the team project that stands for a personal project whose owner has no account:
 * n8n's name for the personal project ("Name <e-mail>"), marked, so it is never taken for the
 * personal project n8n makes once they have an account.
 */
export function standInName(project: SourceProject): string {
  const owner = personalOwner(project.members)?.email.toLowerCase();
  const named = /<[^<>\s]+@[^<>\s]+>\s*$/.test(project.name) || !owner ? project.name.trim() : `<${owner}>`;
  return `${named}${STAND_IN}`;
}

/** The e-mail a team project standing for a personal project stands for, if it is one. */
export function standInOwner(name: string): string | undefined {
  return /<([^<>\s]+@[^<>\s]+)>\s*\(personal project\)\s*$/.exec(name)?.[1]?.toLowerCase();
}

/**
 * A project is its natural key in a diff; its id is named by that key for the kinds after it. A team
 * project standing for a personal one keys as that personal project, so what sits in it keys as it
 * did on the source. Members are compared by e-mail, each with its role; `--ignore-users` leaves out
 * personal projects (and their stand-ins) and members.
 */
export function* indexForDiff(
  projects: readonly SourceProject[],
  names: InstanceNames,
): Iterable<DiffRecord> {
  for (const project of projects) {
    const standsFor = project.type === 'team' ? standInOwner(project.name) : undefined;
    const key = standsFor ? `personal:${standsFor}` : projectNaturalKey(project);
    names.projects.set(project.id, key);
    const members = [...(project.members ?? [])].sort((a, b) => a.email.localeCompare(b.email));
    yield {
      key,
      id: project.id,
      canonical: {
        type: project.type,
        name: project.type === 'team' ? project.name : null,
        description: project.description ?? null,
        members: Object.fromEntries(members.map((m) => [m.email.toLowerCase(), m.role])),
      },
      followsUsers: key.startsWith('personal:'),
      userFields: ['members'],
    };
  }
}
