/**
 * `npm run demo`: the whole product on one machine, no n8n or AWS needed. Two n8n API doubles stand
 * in for a production instance ("prod", seeded) and an empty disaster-recovery instance ("dr").
 * A third ("scratch") takes the closing restore drill. Every step runs the real CLI
 * (dist/bin/n8n-ark.js) as an operator would, and prints the command.
 */
import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { seedInstance } from '../test/double/seed.js';
import { startN8nDouble } from '../test/double/server.js';

const root = join(import.meta.dirname, '..');
const cliPath = join(root, 'dist', 'bin', 'n8n-ark.js');
const store = join(root, 'n8n-ark-backups');
const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);

async function step(
  title: string,
  args: string[],
  env: Record<string, string>,
  expectCode = 0,
): Promise<string> {
  process.stdout.write(`\n${bold(`▶ ${title}`)}\n$ n8n-ark ${args.join(' ')}\n`);
  const child = spawn(process.execPath, [cliPath, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    process.stdout.write(chunk);
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== expectCode)
    throw new Error(`demo step "${title}" exited with ${code}, expected ${expectCode}`);
  return stdout;
}

const prod = await startN8nDouble({ licensed: 'all' });
const dr = await startN8nDouble({ licensed: 'all' });
// A third instance for the restore drill: a scratch n8n the operator marked once as a drill target.
const scratch = await startN8nDouble({ licensed: 'all' });
try {
  const seeded = seedInstance(prod.state, { workflows: 60, rowsTotal: 5_000 });
  process.stdout.write(
    `${bold('n8n-ark demo')}\nA simulated production n8n at ${prod.url} holds ${JSON.stringify(seeded)};\nan empty disaster-recovery instance waits at ${dr.url}.\n`,
  );
  // n8n-ark cannot create user accounts (n8n only invites by e-mail): the operator has invited the
  // team to the recovery instance, so the restore can put them back into their projects.
  for (const user of prod.state.users.values()) {
    if (user.role !== 'global:owner') {
      dr.state.createUser({
        email: user.email,
        firstName: user.firstName,
        lastName: user.lastName,
        role: user.role,
        isPending: user.isPending,
      });
    }
  }
  const env = { PROD_KEY: prod.apiKey, DR_KEY: dr.apiKey, SCRATCH_KEY: scratch.apiKey };
  await rm(join(store, 'demo-prod'), { recursive: true, force: true });

  await step('Check what the key can do', ['doctor', '--url', prod.url, '--api-key-env', 'PROD_KEY'], env);
  const backup = await step(
    'Back up production',
    ['backup', '--url', prod.url, '--api-key-env', 'PROD_KEY', '--instance', 'demo-prod', '--store', store],
    env,
  );
  const archive = /Archive: (\S+)/.exec(backup)?.[1];
  if (!archive) throw new Error('the backup printed no archive path');
  await step('Verify every checksum in the archive', ['verify', archive], env);
  await step('List archives', ['list', '--store', store, '--instance', 'demo-prod'], env);
  await step(
    'Plan the restore into the empty instance (writes nothing)',
    ['restore', archive, '--url', dr.url, '--api-key-env', 'DR_KEY', '--dry-run'],
    env,
  );
  await step(
    'Restore into the empty instance',
    ['restore', archive, '--url', dr.url, '--api-key-env', 'DR_KEY'],
    env,
  );
  await step(
    'Compare production with the restored instance (ids and timestamps ignored)',
    ['diff', prod.url, dr.url, '--a-api-key-env', 'PROD_KEY', '--b-api-key-env', 'DR_KEY'],
    env,
  );
  await step(
    'Restore again: nothing left to do',
    ['restore', archive, '--url', dr.url, '--api-key-env', 'DR_KEY'],
    env,
  );

  scratch.state.createTag('n8n-ark-drill-target');
  const drill = await step(
    'Drill: prove the newest archive restores, into a scratch instance marked as a drill target',
    [
      'drill',
      '--archive',
      'newest',
      '--store',
      store,
      '--instance',
      'demo-prod',
      '--url',
      scratch.url,
      '--api-key-env',
      'SCRATCH_KEY',
      '--wipe-scratch',
    ],
    env,
  );
  const report = /Report: (\S+\.html)/.exec(drill)?.[1];
  if (!report) throw new Error('the drill printed no report path');

  process.stdout.write(
    `\n${bold('Done.')} The archive is ${archive}\nThe drill report (open it in a browser): ${report}\nTry: npx n8n-ark inspect ${archive}\n`,
  );
} finally {
  await Promise.all([prod.close(), dr.close(), scratch.close()]);
}
