/**
 * Runs the API double as its own process (for the bench and for trying the CLI by hand):
 *   npx tsx test/double/main.ts --port 0 --seed-workflows 1000 --seed-rows 200000 --licensed all
 * Prints one JSON line {url, apiKey, pid} on stdout when listening and seeded; stops on SIGTERM
 * or SIGINT. `--licensed` takes `all` or a comma-separated feature list (default: none, the
 * community edition); the seed only creates team projects, folders and variables when the
 * licence allows them, so a backup finds exactly what was seeded.
 */
import { parseArgs } from 'node:util';
import { seedInstance } from './seed.js';
import { startN8nDouble } from './server.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    'seed-workflows': { type: 'string', default: '0' },
    'seed-rows': { type: 'string', default: '0' },
    'seed-tables': { type: 'string', default: '3' },
    // Saved versions per workflow (n8n's workflow history), the current one included.
    'seed-versions': { type: 'string', default: '1' },
    seed: { type: 'string', default: '1' },
    'id-seed': { type: 'string' },
    licensed: { type: 'string', default: '' },
    'api-key': { type: 'string' },
    // n8n's N8N_PAYLOAD_SIZE_MAX (default 16): the largest JSON request body, in MiB.
    'payload-size-max-mib': { type: 'string', default: '16' },
  },
});
const licensed = values.licensed === 'all' ? 'all' : values.licensed.split(',').filter(Boolean);
const double = await startN8nDouble({
  port: Number(values.port),
  licensed,
  ...(values['api-key'] ? { apiKey: values['api-key'] } : {}),
  ...(values['id-seed'] ? { idSeed: Number(values['id-seed']) } : {}),
  payloadSizeMaxMib: Number(values['payload-size-max-mib']),
});
const workflows = Number(values['seed-workflows']);
const rowsTotal = Number(values['seed-rows']);
let seeded: ReturnType<typeof seedInstance> | undefined;
if (workflows > 0 || rowsTotal > 0) {
  const allows = (feature: string) => licensed === 'all' || licensed.includes(feature);
  seeded = seedInstance(double.state, {
    workflows,
    rowsTotal,
    tables: Number(values['seed-tables']),
    versions: Number(values['seed-versions']),
    seed: Number(values.seed),
    licensed: allows('feat:projectRole:admin') && allows('feat:variables') && allows('feat:folders'),
  });
}
// The bench reads the first line; the counts follow for people running it by hand.
process.stdout.write(`${JSON.stringify({ url: double.url, apiKey: double.apiKey, pid: process.pid })}\n`);
if (seeded) process.stderr.write(`n8n API double at ${double.url}: ${JSON.stringify(seeded)}\n`);
const stop = () => {
  void double.close().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
