/**
 * The resource kinds a restore writes, in the order it writes them. Users are not created (n8n
 * invites by e-mail). This is the one list of resources in the codebase; everything else derives
 * from it.
 */
export const RESTORE_RESOURCES = [
  'projects',
  'folders',
  'tags',
  'variables',
  'credentials',
  'dataTables',
  'workflows',
] as const;
export type RestoreResource = (typeof RESTORE_RESOURCES)[number];
