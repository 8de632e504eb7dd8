#!/usr/bin/env bash
# Synthesizes the CDK app with the pinned CLI (offline: no notices, no version check; the app bundles
# the Lambda handlers first, see cdk.json), checks the templates with n8n-ark's rule pack once more
# and lints them with cfn-lint. cdk-nag and the rule pack run inside the synth (bin/app.ts) and fail
# it on a finding.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf cdk.out
npx cdk synth --quiet --no-notices --no-version-reporting -o cdk.out
npx tsx scripts/check-templates.ts cdk.out/*.template.json
cfn-lint --config-file .cfnlintrc.yaml -- cdk.out/*.template.json
echo "check-infra: cdk synth, n8n-ark's rules and cfn-lint clean ($(ls cdk.out/*.template.json | wc -l) template(s))"
