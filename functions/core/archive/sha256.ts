/**
 * SHA-256 (FIPS 180-4) whose state can be saved and taken up again in another process. A sliced
 * backup writes one archive entry over several Lambda invocations, and the manifest needs the
 * digest of the whole entry: node:crypto's hashes cannot hand their state over, this one can
 * (`state()` / `Sha256.resume`). It is slower than node:crypto, so only sliced backups use it.
 */

export interface Sha256State {
  /** The eight working words after the last whole block. */
  h: number[];
  /** The bytes of a block not yet complete (base64, fewer than 64 bytes). */
  pending: string;
  /** Bytes hashed so far. */
  length: number;
}

const K = Int32Array.from([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
  0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
  0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
  0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
]);

const INITIAL = [
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

export class Sha256 {
  private readonly h: Int32Array;
  private readonly block = new Uint8Array(64);
  private blockBytes: number;
  private length: number;
  private readonly w = new Int32Array(64);

  private constructor(state?: Sha256State) {
    this.h = Int32Array.from(state?.h ?? INITIAL);
    const pending = state ? Buffer.from(state.pending, 'base64') : Buffer.alloc(0);
    this.block.set(pending);
    this.blockBytes = pending.length;
    this.length = state?.length ?? 0;
  }

  static create(): Sha256 {
    return new Sha256();
  }

  /** Takes up a hash where `state()` left it. */
  static resume(state: Sha256State): Sha256 {
    if (state.h.length !== 8 || state.length < 0) throw new Error('not a SHA-256 state');
    return new Sha256(state);
  }

  update(data: Uint8Array): void {
    this.length += data.length;
    let at = 0;
    if (this.blockBytes > 0) {
      const taken = Math.min(64 - this.blockBytes, data.length);
      this.block.set(data.subarray(0, taken), this.blockBytes);
      this.blockBytes += taken;
      at = taken;
      if (this.blockBytes < 64) return;
      this.compress(this.block, 0);
      this.blockBytes = 0;
    }
    for (; at + 64 <= data.length; at += 64) this.compress(data, at);
    if (at < data.length) {
      this.block.set(data.subarray(at), 0);
      this.blockBytes = data.length - at;
    }
  }

  state(): Sha256State {
    return {
      h: Array.from(this.h, (word) => word >>> 0),
      pending: Buffer.from(this.block.subarray(0, this.blockBytes)).toString('base64'),
      length: this.length,
    };
  }

  /** The digest, hex; the hash is not used after. */
  digestHex(): string {
    const bits = this.length * 8;
    const padding = new Uint8Array((this.blockBytes < 56 ? 56 : 120) - this.blockBytes + 8);
    padding[0] = 0x80;
    const view = new DataView(padding.buffer);
    view.setUint32(padding.length - 8, Math.floor(bits / 2 ** 32));
    view.setUint32(padding.length - 4, bits >>> 0);
    const length = this.length;
    this.update(padding);
    this.length = length;
    return Buffer.from(Uint32Array.from(this.h, (word) => swap(word >>> 0)).buffer).toString('hex');
  }

  private compress(data: Uint8Array, at: number): void {
    compress(this.h, this.w, data, at);
  }
}

/** One 64-byte block into the working words: Int32 arithmetic, everything local, for V8. */
function compress(h: Int32Array, w: Int32Array, data: Uint8Array, at: number): void {
  for (let i = 0; i < 16; i += 1) {
    const j = at + (i << 2);
    w[i] = (data[j]! << 24) | (data[j + 1]! << 16) | (data[j + 2]! << 8) | data[j + 3]!;
  }
  for (let i = 16; i < 64; i += 1) {
    const x = w[i - 15]!;
    const y = w[i - 2]!;
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    w[i] = (w[i - 16]! + s0 + w[i - 7]! + s1) | 0;
  }
  let a = h[0]! | 0;
  let b = h[1]! | 0;
  let c = h[2]! | 0;
  let d = h[3]! | 0;
  let e = h[4]! | 0;
  let f = h[5]! | 0;
  let g = h[6]! | 0;
  let k = h[7]! | 0;
  for (let i = 0; i < 64; i += 1) {
    const s1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (k + s1 + ((e & f) ^ (~e & g)) + K[i]! + w[i]!) | 0;
    const s0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (s0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    k = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  h[0] = h[0]! + a;
  h[1] = h[1]! + b;
  h[2] = h[2]! + c;
  h[3] = h[3]! + d;
  h[4] = h[4]! + e;
  h[5] = h[5]! + f;
  h[6] = h[6]! + g;
  h[7] = h[7]! + k;
}

/** A word's bytes in big-endian order, as the digest writes it, read back little-endian. */
function swap(word: number): number {
  return (((word & 0xff) << 24) | ((word & 0xff00) << 8) | ((word >>> 8) & 0xff00) | (word >>> 24)) >>> 0;
}
