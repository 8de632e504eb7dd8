#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { N8nArkStack } from '../lib/n8n-ark-stack.js';
import { N8nArkChecks } from '../lib/rules/pack.js';

const app = new App();
new N8nArkStack(app, 'N8nArk', {
  config: app.node.tryGetContext('n8nArk'),
  description: 'n8n-ark: scheduled n8n backups, restores and migrations',
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(), new ServerlessChecks(), new N8nArkChecks());
app.synth();
