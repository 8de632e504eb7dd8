import type { ArchiveStore, OpenArchiveReader } from '../ports.js';
import { type OpenedArchive, openArchive } from './format.js';

export type ClosableArchive = OpenedArchive & { close(): Promise<void> };

/** Opens an archive by location in a store and reads its manifest; close() releases the file or stream. */
export async function openArchiveAt(
  store: ArchiveStore,
  location: string,
  openReader: OpenArchiveReader,
): Promise<ClosableArchive> {
  const blob = await store.open(location);
  const reader = await openReader(blob).catch(async (error: unknown) => {
    await blob.close();
    throw error;
  });
  try {
    const archive = await openArchive(reader);
    return Object.assign(archive, { close: () => reader.close() });
  } catch (error) {
    await reader.close();
    throw error;
  }
}
