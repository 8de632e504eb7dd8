/**
 * The names archives are filed under (`--instance`, the handlers' `instance` and `target`): one
 * rule for every command and handler, judged before any path, key or lookup is built from a name.
 * A name is a folder name and an S3 key part, the same on every OS: it cannot climb out of a store
 * (`..`), hold a separator, or begin with a dot.
 */
import { z } from 'zod';
import { InvalidOptionError } from '../errors.js';
import { quoted } from '../options/table.js';

export const INSTANCE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

const RULE = "use letters, digits, '.', '_' or '-' (up to 63, beginning with a letter or digit)";

/** What is wrong with a name, without the option's name; undefined when it is one. */
export function instanceNameProblem(name: unknown): string | undefined {
  return typeof name === 'string' && INSTANCE_NAME.test(name) ? undefined : `${quoted(name)}: ${RULE}`;
}

/** The schema every option table and event uses for an instance name. */
export const instanceName = z.string().superRefine((name, ctx) => {
  const problem = instanceNameProblem(name);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** The name, or an InvalidOptionError (exit 2) naming `option`; `where` says where the name came from. */
export function checkedInstanceName(name: string, option = 'instance', where?: string): string {
  const problem = instanceNameProblem(name);
  if (problem) throw new InvalidOptionError(option, where ? `${problem} (${where})` : problem);
  return name;
}
