/**
 * N8nArk-WritersCannotErase on tiny real stacks, compliant and not: a role that writes to a
 * versioned bucket must be denied, by the bucket policy, every action that erases its history.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { describe, expect, it } from 'vitest';
import { ArchiveBucket } from '../../lib/archive-bucket.js';
import type { CfnTemplate } from '../../lib/rules/template.js';
import { ERASE_ACTIONS, writersCannotErase } from '../../lib/rules/writers-cannot-erase.js';

function stackWithWriter(): { stack: Stack; archives: ArchiveBucket; writer: iam.Role } {
  const stack = new Stack(new App(), 'Fixture');
  const archives = new ArchiveBucket(stack, 'Archives', { retentionDays: 90, archiveDays: 365 });
  const writer = new iam.Role(stack, 'Backup', {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
  });
  return { stack, archives, writer };
}

const findings = (stack: Stack) =>
  writersCannotErase.check(Template.fromStack(stack).toJSON() as CfnTemplate);

describe('N8nArk-WritersCannotErase', () => {
  it('fails a writer granted read-write (s3:DeleteObject* covers DeleteObjectVersion) with no Deny: the stack before', () => {
    const { stack, archives, writer } = stackWithWriter();
    archives.bucket.grantReadWrite(writer, 'archives/*');

    const found = findings(stack);

    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      resource: expect.stringMatching(/^ArchivesBucket/),
      location: expect.stringMatching(/^role Backup/),
      problem: expect.stringContaining(`does not deny it ${ERASE_ACTIONS.join(', ')}`),
    });
  });

  it('fails a writer with only PutObject whose bucket policy denies it part of the erasing actions, naming the rest', () => {
    const { stack, archives, writer } = stackWithWriter();
    archives.bucket.grantPut(writer, 'archives/*');
    archives.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        effect: iam.Effect.DENY,
        principals: [writer],
        actions: ['s3:DeleteObjectVersion'],
        resources: [archives.bucket.arnForObjects('*')],
      }),
    );

    expect(findings(stack).map((f) => f.problem)).toEqual([
      expect.stringContaining(`does not deny it ${ERASE_ACTIONS.slice(1).join(', ')}:`),
    ]);
  });

  it('does not count a conditioned Deny', () => {
    const { stack, archives, writer } = stackWithWriter();
    archives.bucket.grantPut(writer);
    archives.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        effect: iam.Effect.DENY,
        principals: [writer],
        actions: [...ERASE_ACTIONS],
        resources: [archives.bucket.bucketArn, archives.bucket.arnForObjects('*')],
        conditions: { Bool: { 'aws:MultiFactorAuthPresent': 'false' } },
      }),
    );

    expect(findings(stack)).toHaveLength(1);
  });

  it('passes a writer named in denyErasing, and a role that only reads and deletes (delete markers)', () => {
    const { stack, archives, writer } = stackWithWriter();
    archives.bucket.grantReadWrite(writer, 'archives/*');
    archives.denyErasing([writer]);
    const prune = new iam.Role(stack, 'Prune', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    });
    prune.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject', 's3:DeleteObject'],
        resources: [archives.bucket.arnForObjects('archives/*')],
      }),
    );

    expect(findings(stack)).toEqual([]);
  });

  it('leaves writers of an unversioned bucket alone (nothing to erase there)', () => {
    const stack = new Stack(new App(), 'Fixture');
    const scratch = new s3.Bucket(stack, 'Scratch');
    scratch.grantReadWrite(new iam.Role(stack, 'Writer', { assumedBy: new iam.AccountRootPrincipal() }));

    expect(findings(stack)).toEqual([]);
  });
});
