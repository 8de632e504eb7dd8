import { Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import type { FunctionNetwork } from './ark-function.js';
import type { VpcConfig } from './config/index.js';

/**
 * The functions' place in a VPC (`vpc` in the config), for an n8n that is only reachable there.
 * Defaults it applies: the given subnets, or the VPC's private subnets found by a lookup at synth;
 * the given security groups, or one of its own that allows outbound traffic only; and, unless
 * `endpoints` is false, an S3 gateway endpoint on the subnets' route tables (free) and a Secrets
 * Manager interface endpoint with private DNS in those subnets, open on 443 to the functions only —
 * so a VPC without a NAT gateway still reaches the archives and the API keys. Without a NAT gateway
 * or another route, nothing outside the VPC is reachable (an n8n on the internet included).
 */
export class ArkNetwork extends Construct {
  readonly network: FunctionNetwork;

  constructor(scope: Construct, id: string, config: VpcConfig) {
    super(scope, id);
    const stack = Stack.of(this);
    if (!config.subnets && (Token.isUnresolved(stack.account) || Token.isUnresolved(stack.region)))
      throw new Error(
        `n8n-ark: "vpc" without "subnets" looks ${config.vpcId} up at synth, which needs the stack's account and region (env); give the stack an env, or list the subnets ({id, availabilityZone, routeTableId})`,
      );
    const vpc = config.subnets
      ? ec2.Vpc.fromVpcAttributes(this, 'Vpc', {
          vpcId: config.vpcId,
          availabilityZones: [...new Set(config.subnets.map((s) => s.availabilityZone))],
        })
      : ec2.Vpc.fromLookup(this, 'Vpc', { vpcId: config.vpcId });
    const subnets: ec2.SubnetSelection = config.subnets
      ? {
          subnets: config.subnets.map((s, i) =>
            ec2.Subnet.fromSubnetAttributes(this, `Subnet${i}`, {
              subnetId: s.id,
              availabilityZone: s.availabilityZone,
              routeTableId: s.routeTableId,
            }),
          ),
        }
      : { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };
    const securityGroups = config.securityGroupIds
      ? config.securityGroupIds.map((sg, i) =>
          ec2.SecurityGroup.fromSecurityGroupId(this, `SecurityGroup${i}`, sg, { mutable: false }),
        )
      : [
          new ec2.SecurityGroup(this, 'Functions', {
            vpc,
            description: 'n8n-ark functions: outbound only',
            allowAllOutbound: true,
          }),
        ];
    this.network = { vpc, subnets, securityGroups };
    if (config.endpoints) this.addEndpoints(vpc, subnets, securityGroups);
  }

  private addEndpoints(vpc: ec2.IVpc, subnets: ec2.SubnetSelection, functions: ec2.ISecurityGroup[]): void {
    new ec2.GatewayVpcEndpoint(this, 'S3', {
      vpc,
      service: ec2.GatewayVpcEndpointAwsService.S3,
      subnets: [subnets],
    });
    const secrets = new ec2.InterfaceVpcEndpoint(this, 'SecretsManager', {
      vpc,
      service: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
      subnets,
      privateDnsEnabled: true,
      open: false,
    });
    for (const group of functions)
      secrets.connections.allowFrom(group, ec2.Port.tcp(443), 'n8n-ark functions');
  }
}
