import type { BackupDeps } from '../../functions/core/backup/run.js';
import { type Clock, type N8nApi, silentLogger, silentProgress } from '../../functions/core/ports.js';
import { InMemoryArchiveStore, InMemoryArchiveWriter } from './support/in-memory-archive.js';

const NIGHT: Clock = { now: () => new Date('2026-11-22T01:00:00.000Z') };

/** What runBackup needs, in memory: the archive goes to `store`, time stands still at `clock`. */
export function backupDeps(
  api: N8nApi,
  store = new InMemoryArchiveStore(),
  clock: Clock = NIGHT,
): BackupDeps {
  return {
    api,
    store,
    createWriter: () => new InMemoryArchiveWriter(),
    clock,
    logger: silentLogger,
    progress: silentProgress,
    toolVersion: '0.0.0-test',
  };
}
