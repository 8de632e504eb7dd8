/**
 * The two instances of `migrate` and `cutover`: the source named by --from-*, the target by --to-*,
 * both asked within the same request limits, and the ports a transfer between them runs on
 * (core/restore/transfer.ts).
 */
import type { Logger } from '../core/ports.js';
import type { TransferDeps } from '../core/restore/transfer.js';
import { thisProcess } from './commands/restore/action.js';
import type { ArchiveAccessFlags, Cli } from './compose.js';
import {
  type ConnectionFlagNames,
  connectionOf,
  type RequestBoundFlags,
  requestLimits,
} from './connection.js';

export const FROM: ConnectionFlagNames = {
  url: '--from-url',
  env: '--from-key-env',
  file: '--from-key-file',
};
export const TO: ConnectionFlagNames = { url: '--to-url', env: '--to-key-env', file: '--to-key-file' };

type Flag = string | undefined;

export interface TwoInstanceFlags extends RequestBoundFlags, ArchiveAccessFlags {
  fromUrl?: Flag;
  fromKeyEnv?: Flag;
  fromKeyFile?: Flag;
  toUrl?: Flag;
  toKeyEnv?: Flag;
  toKeyFile?: Flag;
  concurrency?: Flag;
  credentialSecrets?: Flag;
  json?: boolean | undefined;
}

export type Client = ReturnType<Cli['n8n']>;

/** Both clients, the source's first (an empty key flag is none); no wait to ask again ends past `deadline`. */
export async function connectBoth(
  cli: Cli,
  flags: TwoInstanceFlags,
  logger: Logger,
  deadline?: number,
): Promise<{ source: Client; target: Client }> {
  const limits = requestLimits(flags);
  const connect = async (url: Flag, apiKeyEnv: Flag, apiKeyFile: Flag, names: ConnectionFlagNames) =>
    cli.n8n(
      await connectionOf(
        {
          url,
          apiKeyEnv: apiKeyEnv || undefined,
          apiKeyFile: apiKeyFile || undefined,
          requireHttps: flags.requireHttps,
        },
        cli.env,
        names,
        limits,
      ),
      logger,
      deadline,
    );
  const source = await connect(flags.fromUrl, flags.fromKeyEnv, flags.fromKeyFile, FROM);
  const target = await connect(flags.toUrl, flags.toKeyEnv, flags.toKeyFile, TO);
  return { source, target };
}

/** The ports of a transfer from `source` to `target` through the archive store at `storeLocation`. */
export async function transferPorts(
  cli: Cli,
  flags: TwoInstanceFlags,
  logger: Logger,
  { source, target }: { source: Client; target: Client },
  storeLocation: string | undefined,
): Promise<TransferDeps> {
  const secrets = await cli.secrets(flags.credentialSecrets);
  const archives = await cli.archives(flags);
  return {
    source,
    target,
    store: await archives.store(storeLocation),
    createWriter: archives.createWriter,
    openReader: archives.openReader,
    lockOwner: thisProcess(),
    targetLocks: cli.targetLocks(target.baseUrl, logger),
    ...(secrets ? { secrets } : {}),
    clock: cli.clock,
    logger,
    progress: cli.progress(flags.json),
    toolVersion: cli.toolVersion,
  };
}
