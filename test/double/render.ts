/**
 * Response shapes shared by several routes, key for key as n8n 2.41.1 answers them.
 */
import type { DoubleState, StoredProject, StoredTag, StoredUser } from './state.js';

export function renderProject(project: StoredProject) {
  return {
    id: project.id,
    name: project.name,
    type: project.type,
    icon: project.icon,
    description: project.description,
    customTelemetryTags: [],
    creatorId: project.creatorId,
    createdAt: project.createdAt,
    updatedAt: project.updatedAt,
  };
}

export function renderTag(tag: StoredTag) {
  return { id: tag.id, name: tag.name, createdAt: tag.createdAt, updatedAt: tag.updatedAt };
}

/** GET /users item (users.mapper.ts picks these fields; `role` only with includeRole=true). */
export function renderUser(user: StoredUser, includeRole: boolean) {
  return {
    id: user.id,
    email: user.email,
    firstName: user.firstName,
    lastName: user.lastName,
    createdAt: user.createdAt,
    updatedAt: user.updatedAt,
    isPending: user.isPending,
    mfaEnabled: user.mfaEnabled,
    ...(includeRole ? { role: user.role } : {}),
  };
}

export function projectOrThrow(state: DoubleState, id: string): StoredProject {
  const project = state.projects.get(id);
  if (!project) throw new Error(`the double's state refers to a missing project ${id}`);
  return project;
}
