/**
 * An ArchiveWriter that encrypts another's output as it streams, in the age format, with
 * age-encryption's own Encrypter: the header (a stanza per recipient, or scrypt for a passphrase),
 * then the zip in 64 KiB sealed chunks. It wraps any ArchiveWriter (the zip writer, a sliced
 * backup's), adds nothing to what is written into it, and holds about one chunk: backpressure from
 * the store reaches the inner writer through the web streams age-encryption works on.
 */
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { Encrypter } from 'age-encryption';
import type { ArchiveWriter } from '../../core/ports.js';
import type { AgeSealing } from './keys.js';

export function sealArchiveWriter(inner: ArchiveWriter, sealing: AgeSealing): ArchiveWriter {
  const encrypter = new Encrypter();
  if ('passphrase' in sealing) encrypter.setPassphrase(sealing.passphrase);
  else for (const recipient of sealing.recipients) encrypter.addRecipient(recipient);
  const output = new PassThrough();
  const fail = (error: Error) => {
    // The inner writer is waiting for its bytes to be consumed: fail it so the backup stops.
    inner.abort(error);
    output.destroy(error);
  };
  const plaintext = pulled(inner.output);
  encrypter
    .encrypt(plaintext)
    .then((sealed) => pipeline(Readable.fromWeb(sealed as unknown as WebReadableStream<Uint8Array>), output))
    .catch((error: unknown) => fail(error instanceof Error ? error : new Error(String(error))));
  return {
    output,
    encrypted: true,
    addEntry: (name, content) => inner.addEntry(name, content),
    finish: () => inner.finish(),
    abort: fail,
  };
}

/**
 * The inner writer's bytes as a web stream that reads a chunk only when the encrypter asks for one
 * (no queue of its own: high-water mark 0), so a zip that outpaces the cipher waits for it.
 */
function pulled(readable: Readable): ReadableStream<Uint8Array> {
  const chunks = readable[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const next = await chunks.next();
        if (next.done) controller.close();
        else controller.enqueue(next.value as Buffer);
      },
      async cancel(reason) {
        readable.destroy(reason instanceof Error ? reason : undefined);
      },
    },
    { highWaterMark: 0 },
  );
}
