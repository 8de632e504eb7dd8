#!/usr/bin/env bash
# Synthesizes the CDK app with the pinned CLI (offline: no notices, no version check) and lints the
# templates with cfn-lint. cdk-nag runs inside the synth (bin/app.ts) and fails it on a finding.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf cdk.out
npx cdk synth --quiet --no-notices --no-version-reporting -o cdk.out
cfn-lint --config-file .cfnlintrc.yaml -- cdk.out/*.template.json
echo "check-infra: cdk synth and cfn-lint clean ($(ls cdk.out/*.template.json | wc -l) template(s))"
