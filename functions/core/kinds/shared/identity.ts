/**
 * How a person knows an object of any kind, as the closing checks name what is missing: its id and
 * its name, key (variables) or e-mail (users).
 */
export function identityOf(record: unknown): { id: string; name: string } | undefined {
  if (typeof record !== 'object' || record === null) return undefined;
  const { id, name, key, email } = record as Record<string, unknown>;
  if (typeof id !== 'string' && typeof id !== 'number') return undefined;
  const label = [name, key, email].find((value) => typeof value === 'string');
  return { id: String(id), name: (label as string | undefined) ?? String(id) };
}
