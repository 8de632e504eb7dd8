/** The projects kind's longer words: refusals, and what its plan says of members and stand-ins. */
import { InvalidOptionError } from '../../errors.js';

export function noSuchProjectToMap(name: string, archived: ReadonlySet<string>): InvalidOptionError {
  return new InvalidOptionError(
    'projectMap',
    `${JSON.stringify(name)}: the archive has no project of that name (it has ${
      [...archived].map((n) => JSON.stringify(n)).join(', ') || 'none'
    })`,
  );
}

export const standInCreated = (email: string, name: string) =>
  `personal project of ${email}, who has no account in the target: its contents go to a team project named after them ("${name}"), with them as its admin once they have an account`;

export const standInExists = (email: string, name: string) =>
  `personal project of ${email}, who has no account in the target: its contents go to the team project named after them ("${name}")`;

export const standInNotNeeded = (who: string) =>
  `personal project of ${who}, who has no account in the target: it holds nothing this restore writes, so no project is made for it`;

export const willBeInvited = (count: number) =>
  `${count} project member(s) without an account on the target will be invited (--invite-users) before they are added; the report lists n8n's invitation links.`;

export const waitingForAccounts = (count: number) =>
  `${count} project member(s) have no account on the target: they wait for one (listed apart, not a failure). Invite them in n8n, or run with --invite-users; once they have accounts, run this restore again to add them.`;

export const invitedAsMember = (group: readonly { email: string }[], role: string) =>
  `${group.map((i) => i.email).join(', ')}: invited as global:member, not ${role}: the target's licence does not allow inviting admins (feat:advancedPermissions)`;

export const withoutProjects = (why: string | undefined) =>
  `The target cannot take projects (${why}): everything lands in the API key owner's personal project.`;
