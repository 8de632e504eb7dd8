import { mentions, roleStatements } from './roles.js';
import {
  actionCovers,
  asList,
  type CfnTemplate,
  type PolicyStatementJson,
  type RuleFinding,
  referencedId,
  resourcesOfType,
  statementsOf,
  type TemplateRule,
} from './template.js';

/**
 * What erases the history of a versioned bucket, or lifts what keeps it: deleting a version,
 * changing or bypassing a lock, changing the rules that expire versions. Written here apart from
 * the construct's own list (lib/archive-bucket.ts ERASING_ACTIONS) on purpose: the rule states the
 * requirement, so an action dropped from the construct's list fails it.
 */
export const ERASE_ACTIONS = [
  's3:DeleteObjectVersion',
  's3:PutObjectRetention',
  's3:PutObjectLegalHold',
  's3:BypassGovernanceRetention',
  's3:PutBucketObjectLockConfiguration',
  's3:PutLifecycleConfiguration',
] as const;

const isVersioned = (bucket: { Properties?: Record<string, unknown> }): boolean =>
  (bucket.Properties?.VersioningConfiguration as { Status?: string } | undefined)?.Status === 'Enabled';

const allowsAny = (statement: PolicyStatementJson, actions: readonly string[]): boolean =>
  statement.Effect === 'Allow' &&
  actions.some((action) => asList(statement.Action).some((pattern) => actionCovers(pattern, action)));

const onBucket = (statement: PolicyStatementJson, bucket: string): boolean =>
  asList(statement.Resource).some((r) => r === '*' || mentions(r, bucket));

/** Roles that may write objects into the bucket, or do any erasing action to it. */
function writersOf(template: CfnTemplate, bucket: string): string[] {
  return [...roleStatements(template)]
    .filter(([, statements]) =>
      statements.some(
        ({ statement }) =>
          onBucket(statement, bucket) && allowsAny(statement, ['s3:PutObject', ...ERASE_ACTIONS]),
      ),
    )
    .map(([role]) => role);
}

const namesRole = (statement: PolicyStatementJson, role: string): boolean => {
  if (statement.Principal === '*') return true;
  return asList((statement.Principal as { AWS?: unknown } | undefined)?.AWS).some(
    (p) => p === '*' || referencedId(p) === role,
  );
};

/** The erasing actions the bucket policies deny the role outright (a conditioned Deny does not count). */
function deniedTo(template: CfnTemplate, bucket: string, role: string): Set<string> {
  const denies = resourcesOfType(template, 'AWS::S3::BucketPolicy')
    .filter(([, policy]) => referencedId(policy.Properties?.Bucket) === bucket)
    .flatMap(([, policy]) => statementsOf(policy.Properties?.PolicyDocument))
    .filter((s) => s.Effect === 'Deny' && !s.Condition && namesRole(s, role) && onBucket(s, bucket));
  return new Set(
    ERASE_ACTIONS.filter((action) =>
      denies.some((s) => asList(s.Action).some((pattern) => actionCovers(pattern, action))),
    ),
  );
}

/**
 * No role that writes to a versioned bucket (or holds an erasing action on it) can erase it: the
 * bucket policy denies each such role every ERASE_ACTIONS action. A role's own policy can be widened
 * by the next change or used by whoever steals it; the Deny in the bucket policy still holds.
 */
export const writersCannotErase: TemplateRule = {
  id: 'N8nArk-WritersCannotErase',
  description:
    'Every role that writes to a versioned bucket is denied, by the bucket policy, deleting versions and loosening locks or lifecycle.',
  fix: `Add a bucket-policy Deny of ${ERASE_ACTIONS.join(', ')} naming each writing role (ArchiveBucket.denyErasing).`,
  check: (template) =>
    resourcesOfType(template, 'AWS::S3::Bucket')
      .filter(([, bucket]) => isVersioned(bucket))
      .flatMap(([bucket]) =>
        writersOf(template, bucket).flatMap((role): RuleFinding[] => {
          const denied = deniedTo(template, bucket, role);
          const missing = ERASE_ACTIONS.filter((action) => !denied.has(action));
          if (missing.length === 0) return [];
          return [
            {
              resource: bucket,
              location: `role ${role}`,
              problem: `role ${role} may write to the versioned bucket ${bucket}, but its bucket policy does not deny it ${missing.join(', ')}: one bug or a stolen role could erase archive versions`,
            },
          ];
        }),
      ),
};
