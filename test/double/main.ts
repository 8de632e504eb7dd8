/**
 * Runs the API double as its own process (for the bench and for trying the CLI by hand):
 *   npx tsx test/double/main.ts --port 0 --seed-workflows 1000 --seed-rows 200000 --licensed all
 * Prints one JSON line {url, apiKey, pid} on stdout when listening; stops on SIGTERM or SIGINT.
 */
import { parseArgs } from 'node:util';
import { seedInstance } from './seed.js';
import { startN8nDouble } from './server.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    'seed-workflows': { type: 'string', default: '0' },
    'seed-rows': { type: 'string', default: '0' },
    licensed: { type: 'string', default: '' },
    'api-key': { type: 'string' },
  },
});
const licensed = values.licensed === 'all' ? 'all' : values.licensed.split(',').filter(Boolean);
const double = await startN8nDouble({
  port: Number(values.port),
  licensed,
  ...(values['api-key'] ? { apiKey: values['api-key'] } : {}),
});
const workflows = Number(values['seed-workflows']);
if (workflows > 0 || Number(values['seed-rows']) > 0) {
  seedInstance(double.state, { workflows, rowsTotal: Number(values['seed-rows']) });
}
process.stdout.write(`${JSON.stringify({ url: double.url, apiKey: double.apiKey, pid: process.pid })}\n`);
const stop = () => {
  void double.close().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
