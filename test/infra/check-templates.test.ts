/**
 * What `npm run check:infra` runs on cdk.out after the synth (scripts/check-templates.ts): the
 * default app's template passes; the same template with the topic policy's CloudWatch grant taken out,
 * or with the bucket policy's Deny taken out, fails with the rule named.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CfnTemplate, PolicyStatementJson } from '../../lib/rules/template.js';
import { cdkContext, ROOT, synthesize } from './support/synth.js';

const run = promisify(execFile);
let work: string;
let template: CfnTemplate;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'n8n-ark-check-'));
  template = synthesize(cdkContext().n8nArk).json;
});

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

/** The default template with the statements `drop` picks removed from every policy of `type`. */
function without(type: string, drop: (s: PolicyStatementJson) => boolean): CfnTemplate {
  const copy = structuredClone(template);
  for (const resource of Object.values(copy.Resources ?? {}))
    if (resource.Type === type) {
      const document = resource.Properties?.PolicyDocument as { Statement: PolicyStatementJson[] };
      document.Statement = document.Statement.filter((s) => !drop(s));
    }
  return copy;
}

async function check(name: string, body: CfnTemplate): Promise<{ code: number; stdout: string }> {
  const path = join(work, `${name}.template.json`);
  await writeFile(path, JSON.stringify(body));
  try {
    const { stdout } = await run(
      join(ROOT, 'node_modules', '.bin', 'tsx'),
      ['scripts/check-templates.ts', path],
      { cwd: ROOT },
    );
    return { code: 0, stdout };
  } catch (error) {
    const failed = error as { code: number; stdout: string };
    return { code: failed.code, stdout: failed.stdout };
  }
}

describe('the rule pack over synthesized templates (check:infra)', { timeout: 120_000 }, () => {
  it("passes the default app's template", async () => {
    expect(await check('default', template)).toEqual({ code: 0, stdout: '' });
  });

  it('fails a template whose topic policy lets no alarm publish', async () => {
    const broken = without('AWS::SNS::TopicPolicy', (s) =>
      JSON.stringify(s.Principal).includes('cloudwatch'),
    );

    const { code, stdout } = await check('no-alarm-publish', broken);

    expect(code).toBe(1);
    expect(stdout).toMatch(
      /N8nArk-TopicPolicyPublishers: AlarmsTopic\w+ \(publisher \w+\): the topic policy \(which replaces SNS's default policy\) does not allow cloudwatch\.amazonaws\.com sns:Publish/,
    );
  });

  it('fails a template in which a writer role can delete an archive version', async () => {
    const broken = without('AWS::S3::BucketPolicy', (s) => s.Effect === 'Deny' && !s.Condition);

    const { code, stdout } = await check('writers-erase', broken);

    expect(code).toBe(1);
    expect(stdout).toMatch(
      /N8nArk-WritersCannotErase: ArchivesBucket\w+ \(role BackupRole\w+\): .*s3:DeleteObjectVersion/,
    );
    for (const writer of ['RestoreRole', 'DrillsDrillRole']) expect(stdout).toContain(`(role ${writer}`);
    // They write nothing: the verify reads, the prune only adds delete markers.
    for (const reader of ['VerifyRole', 'RetentionPruneprodRole'])
      expect(stdout).not.toContain(`(role ${reader}`);
  });
});
