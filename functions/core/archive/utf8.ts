/**
 * An entry's bytes judged as UTF-8 while they stream, beside the line splitting and the digest:
 * Node's decoders put U+FFFD where bytes are not UTF-8, so text that is not would be read as
 * something else without a word. A sequence cut at a chunk's end is carried to the next chunk.
 * The line named is counted as the line splitter counts it (empty lines are not lines).
 */
import { isUtf8 } from 'node:buffer';
import type { ArchiveIntegrityError } from '../errors.js';
import { notUtf8 } from './errors.js';

const NEWLINE = 0x0a;

export class Utf8Check {
  /** Bytes of a sequence the last chunk ended in the middle of. */
  private carried: Buffer = Buffer.alloc(0);
  private offset = 0;
  /** Lines ended so far that held any byte. */
  private lines = 0;
  private lineHasBytes = false;

  constructor(private readonly entry: string) {}

  /** Throws when `bytes` (after what was carried) cannot be UTF-8. */
  push(bytes: Buffer): void {
    const joined = this.carried.length > 0 ? Buffer.concat([this.carried, bytes]) : bytes;
    const tail = incompleteTail(joined);
    const whole = joined.subarray(0, joined.length - tail);
    if (!isUtf8(whole)) throw this.refusal(whole, firstInvalid(whole));
    this.count(whole);
    this.offset += whole.length;
    this.carried = Buffer.from(joined.subarray(joined.length - tail));
  }

  /** Throws when the entry ended inside a sequence. */
  end(): void {
    if (this.carried.length > 0) throw this.refusal(this.carried, 0);
  }

  private refusal(bytes: Buffer, at: number): ArchiveIntegrityError {
    this.count(bytes.subarray(0, at));
    return notUtf8(this.entry, `${this.entry} line ${this.lines + 1}`, this.offset + at);
  }

  private count(bytes: Buffer): void {
    let start = 0;
    for (let newline = bytes.indexOf(NEWLINE); newline >= 0; newline = bytes.indexOf(NEWLINE, start)) {
      if (newline > start || this.lineHasBytes) this.lines += 1;
      this.lineHasBytes = false;
      start = newline + 1;
    }
    if (start < bytes.length) this.lineHasBytes = true;
  }
}

/** How many bytes at the end begin a sequence that needs more bytes than are there (0–3). */
function incompleteTail(bytes: Buffer): number {
  for (let back = 1; back <= Math.min(3, bytes.length); back += 1) {
    const byte = bytes[bytes.length - back] as number;
    if ((byte & 0xc0) === 0x80) continue;
    const needs = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return needs > back ? back : 0;
  }
  return 0;
}

/** The offset of the first byte that starts no valid sequence (only asked of bytes that are not UTF-8). */
function firstInvalid(bytes: Buffer): number {
  for (let at = 0; at < bytes.length; ) {
    const length = sequenceLength(bytes, at);
    if (length === 0) return at;
    at += length;
  }
  return bytes.length;
}

/** The length of the valid UTF-8 sequence at `at`, or 0 (overlong forms, surrogates and values past U+10FFFF are invalid). */
function sequenceLength(bytes: Buffer, at: number): number {
  const first = bytes[at] as number;
  if (first < 0x80) return 1;
  const [length, low, high] =
    first >= 0xc2 && first <= 0xdf
      ? [2, 0x80, 0xbf]
      : first === 0xe0
        ? [3, 0xa0, 0xbf]
        : first === 0xed
          ? [3, 0x80, 0x9f]
          : first >= 0xe1 && first <= 0xef
            ? [3, 0x80, 0xbf]
            : first === 0xf0
              ? [4, 0x90, 0xbf]
              : first >= 0xf1 && first <= 0xf3
                ? [4, 0x80, 0xbf]
                : first === 0xf4
                  ? [4, 0x80, 0x8f]
                  : [0, 0, 0];
  if (length === 0 || at + length > bytes.length) return 0;
  const second = bytes[at + 1] as number;
  if (second < low || second > high) return 0;
  for (let i = 2; i < length; i += 1) if (((bytes[at + i] as number) & 0xc0) !== 0x80) return 0;
  return length;
}
