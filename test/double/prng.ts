/**
 * A small seeded PRNG (mulberry32). The double uses it for ids, fault injection and seeding, so a
 * run with the same seed makes the same decisions and the same ids.
 */
export type Random = () => number;

export function createRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHANUMERIC = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** n8n's resource ids: 16 characters from [0-9A-Za-z] (its `nanoid` format). */
export function nanoId(random: Random, length = 16): string {
  let id = '';
  for (let i = 0; i < length; i += 1) id += ALPHANUMERIC[Math.floor(random() * ALPHANUMERIC.length)];
  return id;
}

/** A version-4 UUID (n8n's user ids, workflow version ids, node ids). */
export function uuid(random: Random): string {
  const hex: string[] = [];
  for (let i = 0; i < 32; i += 1) hex.push(Math.floor(random() * 16).toString(16));
  hex[12] = '4';
  hex[16] = ((Number.parseInt(hex[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
  const s = hex.join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}

export function pick<T>(random: Random, items: readonly T[]): T {
  const item = items[Math.floor(random() * items.length)];
  if (item === undefined) throw new Error('pick() from an empty list');
  return item;
}
