#!/usr/bin/env node
import { processOutput } from '../functions/cli/output.js';
import { runCli } from '../functions/cli/program.js';

process.exitCode = await runCli(process.argv, processOutput, process.env);
