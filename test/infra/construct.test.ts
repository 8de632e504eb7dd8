/**
 * N8nArk as a construct in someone else's stack: the same config, validation and errors as the
 * default app's cdk.json; resources named under its id; no feature flag required of the app.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config/index.js';
import { N8nArk } from '../../lib/index.js';
import { checkTemplate } from '../../lib/rules/pack.js';
import type { CfnTemplate } from '../../lib/rules/template.js';
import { cdkContext, idsOf, nagViolations, synthesize } from './support/synth.js';

describe('new N8nArk(scope, id, config)', () => {
  it('builds the deployment inside any stack, under its own id, and passes cdk-nag and the rule pack', () => {
    const app = new App({ context: cdkContext().flags });
    const stack = new Stack(app, 'Platform');
    const ark = new N8nArk(stack, 'Backups', cdkContext().n8nArk);
    const template = Template.fromStack(stack);

    expect(ark.config.instances.map((i) => i.name)).toEqual(['prod', 'dr']);
    expect(idsOf(template, 'AWS::S3::Bucket').every((id) => id.startsWith('BackupsArchives'))).toBe(true);
    expect(JSON.stringify(template.findResources('AWS::SNS::TopicPolicy'))).toContain(':alarm:Platform-*');
    expect(nagViolations(app)).toEqual([]);
    expect(checkTemplate(template.toJSON() as CfnTemplate)).toEqual([]);
  });

  it('needs none of the feature flags cdk.json sets (an app of its own may set none)', () => {
    const stack = new Stack(new App(), 'Bare');
    new N8nArk(stack, 'Ark', cdkContext().n8nArk);

    expect(checkTemplate(Template.fromStack(stack).toJSON() as CfnTemplate)).toEqual([]);
  });

  it('refuses a bad config with the very error cdk.json gets', () => {
    const bad = { instances: [{ name: 'prod', secretName: 'n8n-ark/prod', history: -1 }] };
    const asContext = (() => {
      try {
        parseConfig(bad);
      } catch (error) {
        return (error as Error).message;
      }
    })();

    expect(asContext).toBe(
      'cdk.json context "n8nArk": instances[0].history must be a whole number of versions from 0 to 1000',
    );
    expect(() => new N8nArk(new Stack(new App(), 'S'), 'Ark', bad)).toThrow(asContext);
  });
});

describe('N8nArkStack, the default app’s stack', () => {
  it('keeps the logical ids the stack had before it became a construct (the bucket, its key and the alarm topic stay)', () => {
    const { template } = synthesize(cdkContext().n8nArk);

    expect(idsOf(template, 'AWS::S3::Bucket', 'ArchivesBucket')).toEqual(['ArchivesBucketD5C337A9']);
    expect(idsOf(template, 'AWS::KMS::Key', 'ArchivesKey')).toEqual(['ArchivesKeyF98811A0']);
    expect(idsOf(template, 'AWS::SNS::Topic')).toEqual(['AlarmsTopic3A2DFEBA']);
  });
});
