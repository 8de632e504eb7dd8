import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Sha256 } from '../../functions/core/archive/sha256.js';
import { createRandom } from '../double/prng.js';

/** Deterministic bytes (the double's PRNG), so a failure is repeatable. */
function bytes(length: number, seed: number): Buffer {
  const random = createRandom(seed);
  return Buffer.from(Array.from({ length }, () => Math.floor(random() * 256)));
}

describe('the resumable SHA-256', () => {
  it('gives node:crypto’s digest for every length around the block and padding edges', () => {
    for (const length of [0, 1, 55, 56, 63, 64, 65, 119, 120, 127, 128, 1000, 65_537]) {
      const data = bytes(length, length + 1);
      const hash = Sha256.create();
      hash.update(data);
      expect(hash.digestHex(), `${length} bytes`).toBe(createHash('sha256').update(data).digest('hex'));
    }
  });

  it('goes on from a saved state (through JSON, as between two slices) as if never stopped', () => {
    const data = bytes(200_003, 7);
    const random = createRandom(11);
    let hash = Sha256.create();
    for (let at = 0; at < data.length; ) {
      const size = 1 + Math.floor(random() * 5000);
      hash.update(data.subarray(at, at + size));
      at += size;
      if (random() < 0.5) hash = Sha256.resume(JSON.parse(JSON.stringify(hash.state())));
    }

    expect(hash.digestHex()).toBe(createHash('sha256').update(data).digest('hex'));
  });
});
