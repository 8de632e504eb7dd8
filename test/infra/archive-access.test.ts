/**
 * The roles that write archives cannot erase them (the default app's config: backup, restore,
 * verify, a drill and a prune): explicit actions per function (lib/archive-access.ts), a bucket-policy
 * Deny of every erasing action to every function role, and cdk-nag acknowledgements on the
 * resources they are about, none on the stack or the construct as a whole.
 */
import { Stack, Validations } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ERASING_ACTIONS } from '../../lib/archive-bucket.js';
import { N8nArk } from '../../lib/n8n-ark.js';
import { cdkContext, idsOf, roleStatementsOf, type Synthesized, synthesize } from './support/synth.js';

let synthesized: Synthesized;
let template: Template;

beforeAll(() => {
  synthesized = synthesize(cdkContext().n8nArk);
  template = synthesized.template;
});

const functionRole = (prefix: string): string => {
  const [role] = idsOf(template, 'AWS::IAM::Role', prefix);
  if (!role) throw new Error(`no role ${prefix}`);
  return role;
};

/** The S3 statements of a role as "action → key patterns below the bucket". */
function s3Access(role: string): Record<string, string[]> {
  const access: Record<string, string[]> = {};
  for (const statement of roleStatementsOf(template, role)) {
    const actions = [statement.Action].flat() as string[];
    const resources = [statement.Resource].flat().map((r) => {
      const join = (r as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
      return join ? String(join[1].at(-1)) : '(bucket)';
    });
    for (const action of actions.filter((a) => a.startsWith('s3:')))
      access[action] = [...(access[action] ?? []), ...resources].sort();
  }
  return access;
}

describe('archive access by function', () => {
  it('the backup writes archives (*.zip) and its progress between slices, aborts uploads, and deletes only its lock', () => {
    expect(s3Access(functionRole('BackupRole'))).toEqual({
      's3:ListBucket': ['(bucket)'],
      's3:ListBucketVersions': ['(bucket)'],
      's3:GetObject': ['/archives/*'],
      's3:GetObjectVersion': ['/archives/*'],
      's3:PutObject': ['/archives/*.zip', '/archives/*/backup-in-progress.*'],
      's3:AbortMultipartUpload': ['/archives/*.zip'],
      's3:DeleteObject': ['/archives/*/backup-in-progress.json.lock'],
    });
  });

  it('the restore and the drill write their ledgers and locks (the drill its reports) and delete only locks', () => {
    const reads = {
      's3:ListBucket': ['(bucket)'],
      's3:ListBucketVersions': ['(bucket)'],
      's3:GetObject': ['/archives/*'],
      's3:GetObjectVersion': ['/archives/*'],
    };
    expect(s3Access(functionRole('RestoreRole'))).toEqual({
      ...reads,
      's3:PutObject': ['/archives/*.ledger.json', '/archives/*.ledger.json.lock'],
      's3:DeleteObject': ['/archives/*.ledger.json.lock'],
    });
    expect(s3Access(functionRole('DrillsDrillRole'))).toEqual({
      ...reads,
      's3:PutObject': ['/archives/*.drill-*', '/archives/*.ledger.json', '/archives/*.ledger.json.lock'],
      's3:DeleteObject': ['/archives/*.ledger.json.lock'],
    });
  });

  it('the verify only reads', () => {
    expect(s3Access(functionRole('VerifyRole'))).toEqual({
      's3:ListBucket': ['(bucket)'],
      's3:ListBucketVersions': ['(bucket)'],
      's3:GetObject': ['/archives/*'],
      's3:GetObjectVersion': ['/archives/*'],
    });
  });

  it('no identity policy grants an erasing action, nor a wildcard S3 action', () => {
    const actions = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p) =>
      (p.Properties.PolicyDocument.Statement as { Action: string | string[] }[]).flatMap((s) =>
        [s.Action].flat(),
      ),
    );
    expect(actions.filter((a) => a.startsWith('s3:') && a.includes('*'))).toEqual([]);
    expect(actions.filter((a) => (ERASING_ACTIONS as readonly string[]).includes(a))).toEqual([]);
  });
});

describe('the archive bucket policy', () => {
  it('denies every erasing action to every function role', () => {
    const policies = Object.values(template.findResources('AWS::S3::BucketPolicy')).filter((p) =>
      JSON.stringify(p.Properties?.Bucket).includes('ArchivesBucket'),
    );
    const deny = policies
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Record<string, unknown>[])
      .find((s) => s.Sid === 'N8nArkRolesCannotErase');
    const functionRoles = Object.values(template.findResources('AWS::Lambda::Function')).map(
      (fn) => (fn.Properties.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0],
    );

    expect(deny?.Effect).toBe('Deny');
    expect([deny?.Action].flat().sort()).toEqual([...ERASING_ACTIONS].sort());
    expect(deny?.Condition).toBeUndefined();
    if (!deny) throw new Error('no N8nArkRolesCannotErase statement');
    const named = (deny.Principal as { AWS: { 'Fn::GetAtt': string[] }[] }).AWS.map(
      (p) => p['Fn::GetAtt'][0],
    );
    expect(named.sort()).toEqual(functionRoles.sort());
    expect(functionRoles).toHaveLength(5);
  });
});

/** Every construct with cdk-nag acknowledgements recorded on it. */
function acknowledging(root: IConstruct): IConstruct[] {
  return root.node
    .findAll()
    .filter((c) => c.node.metadata.some((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY));
}

describe('cdk-nag acknowledgements', () => {
  it('are on the resources they are about: none on the stack, none on the construct as a whole', () => {
    const holders = acknowledging(synthesized.stack);

    expect(holders.length).toBeGreaterThan(5);
    expect(holders.filter((c) => Stack.isStack(c) || c instanceof N8nArk)).toEqual([]);
  });

  it('acknowledge no wildcard action and no managed policy when no VPC is configured', () => {
    const ids = acknowledging(synthesized.stack).flatMap((c) =>
      c.node.metadata
        .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap((m) => Object.keys(m.data as Record<string, string>)),
    );

    expect(ids.filter((id) => id.includes('[Action::'))).toEqual([]);
    expect(ids.filter((id) => id.startsWith('AwsSolutions-IAM4'))).toEqual([]);
  });
});
