/** The functions in a VPC (`vpc`): subnets, security groups, the S3 and Secrets Manager endpoints. */
import { App } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config/index.js';
import { N8nArkStack } from '../../lib/n8n-ark-stack.js';
import { cdkContext, nagViolations, type Synthesized, synthesize } from './support/synth.js';

const subnets = [
  { id: 'subnet-0a1b2c3d4e5f60001', availabilityZone: 'eu-west-1a', routeTableId: 'rtb-0a1b2c3d4e5f60001' },
  { id: 'subnet-0a1b2c3d4e5f60002', availabilityZone: 'eu-west-1b', routeTableId: 'rtb-0a1b2c3d4e5f60002' },
];
const instances = [{ name: 'prod', secretName: 'n8n-ark/prod' }];

let synthesized: Synthesized;
let template: Template;

beforeAll(() => {
  synthesized = synthesize({ instances, vpc: { vpcId: 'vpc-0a1b2c3d4e5f60000', subnets } });
  template = synthesized.template;
});

describe('functions in a VPC', () => {
  it('run in the given subnets with a security group of their own that only sends', () => {
    const [group] = Object.keys(
      template.findResources('AWS::EC2::SecurityGroup', {
        Properties: { GroupDescription: 'n8n-ark functions: outbound only' },
      }),
    );
    const functions = Object.values(template.findResources('AWS::Lambda::Function'));
    expect(functions).toHaveLength(3);
    for (const fn of functions)
      expect(fn.Properties?.VpcConfig).toEqual({
        SubnetIds: subnets.map((s) => s.id),
        SecurityGroupIds: [{ 'Fn::GetAtt': [group, 'GroupId'] }],
      });
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: 'n8n-ark functions: outbound only',
      SecurityGroupEgress: [{ CidrIp: '0.0.0.0/0', IpProtocol: '-1' }],
    });
  });

  it('reach S3 through a gateway endpoint on the subnets’ route tables and Secrets Manager through an interface endpoint open to them alone', () => {
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      ServiceName: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith(['.s3'])] }),
      VpcEndpointType: 'Gateway',
      RouteTableIds: subnets.map((s) => s.routeTableId),
    });
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      ServiceName: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith(['.secretsmanager'])] }),
      VpcEndpointType: 'Interface',
      PrivateDnsEnabled: true,
      SubnetIds: subnets.map((s) => s.id),
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      FromPort: 443,
      ToPort: 443,
      SourceSecurityGroupId: Match.objectLike({
        'Fn::GetAtt': [Match.stringLikeRegexp('^NetworkFunctions'), 'GroupId'],
      }),
    });
  });

  it('may manage their network interfaces (the AWS managed policy, acknowledged on each role) and pass cdk-nag', () => {
    const roles = Object.values(
      template.findResources('AWS::IAM::Role', {
        Properties: {
          AssumeRolePolicyDocument: Match.objectLike({
            Statement: [Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' } })],
          }),
        },
      }),
    );
    for (const role of roles)
      expect(JSON.stringify(role.Properties?.ManagedPolicyArns)).toContain('AWSLambdaVPCAccessExecutionRole');
    expect(nagViolations(synthesized.app)).toEqual([]);
  });

  it('use the given security groups, and add no endpoint when told the VPC has its own', () => {
    const own = synthesize({
      instances,
      vpc: {
        vpcId: 'vpc-0a1b2c3d4e5f60000',
        subnets,
        securityGroupIds: ['sg-0a1b2c3d4e5f60009'],
        endpoints: false,
      },
    }).template;
    for (const fn of Object.values(own.findResources('AWS::Lambda::Function')))
      expect(fn.Properties?.VpcConfig?.SecurityGroupIds).toEqual(['sg-0a1b2c3d4e5f60009']);
    own.resourceCountIs('AWS::EC2::VPCEndpoint', 0);
    own.resourceCountIs('AWS::EC2::SecurityGroup', 0);
  });

  it('refuses a lookup (no subnets) on a stack without account and region, saying what to give', () => {
    expect(
      () =>
        new N8nArkStack(new App({ context: cdkContext().flags }), 'N8nArk', {
          config: { instances, vpc: { vpcId: 'vpc-0a1b2c3d4e5f60000' } },
        }),
    ).toThrow(
      /"vpc" without "subnets" looks vpc-0a1b2c3d4e5f60000 up at synth, which needs the stack's account and region/,
    );
  });
});

describe('configuration of the VPC', () => {
  const vpc = (value: unknown) => () => parseConfig({ instances, vpc: value });

  it('refuses a bad id, a subnet without its route table, and unknown settings, naming the field', () => {
    expect(vpc({ vpcId: 'vpc-1' })).toThrow('vpc.vpcId must match');
    expect(
      vpc({
        vpcId: 'vpc-0a1b2c3d4e5f60000',
        subnets: [{ id: subnets[0]?.id, availabilityZone: 'eu-west-1a' }],
      }),
    ).toThrow(
      'vpc.subnets[0].routeTableId must match /^rtb-[0-9a-f]{8,17}$/ (the S3 gateway endpoint is added to it)',
    );
    expect(vpc({ vpcId: 'vpc-0a1b2c3d4e5f60000', natGateway: true })).toThrow(
      'vpc.natGateway is not a setting; vpc takes vpcId, subnets, securityGroupIds, endpoints',
    );
    expect(vpc({ vpcId: 'vpc-0a1b2c3d4e5f60000' })().vpc).toEqual({
      vpcId: 'vpc-0a1b2c3d4e5f60000',
      endpoints: true,
    });
  });
});
