/**
 * n8n-ark's rule pack (lib/rules/) over CloudFormation templates given as files:
 * `tsx scripts/check-templates.ts cdk.out/*.template.json`. Prints each finding with its rule, the
 * resource and what to do; exits 1 when there is any, 2 when a file cannot be read as a template.
 */
import { readFileSync } from 'node:fs';
import { checkTemplate } from '../lib/rules/pack.js';
import type { CfnTemplate } from '../lib/rules/template.js';

let findings = 0;
for (const path of process.argv.slice(2)) {
  let template: CfnTemplate;
  try {
    template = JSON.parse(readFileSync(path, 'utf8')) as CfnTemplate;
  } catch (error) {
    process.stderr.write(`check-templates: cannot read ${path} as a template: ${(error as Error).message}\n`);
    process.exit(2);
  }
  for (const { rule, findings: found } of checkTemplate(template))
    for (const f of found) {
      findings += 1;
      process.stdout.write(
        `${path}: ${rule.id}: ${f.resource} (${f.location}): ${f.problem}\n  fix: ${rule.fix}\n`,
      );
    }
}
if (findings > 0) process.exit(1);
