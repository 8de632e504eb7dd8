/**
 * A small zip whose one entry inflates to gigabytes of newlines, its manifest agreeing (size and
 * SHA-256 recomputed): the degenerate archive of issue 28 ("a 2 MB archive of 2 GiB of newlines").
 * Built without deflating gigabytes: one mebibyte of newlines is deflated once with a full flush,
 * which ends it byte-aligned with a dictionary of its own, so the same compressed block repeated
 * is a valid deflate stream of the repeated text; an empty final block closes it. The zip is
 * written by hand (stored entries, the one deflated entry), as any zip tool would read it.
 */
import { createHash } from 'node:crypto';
import { constants, crc32, deflateRawSync } from 'node:zlib';

const MiB = 1024 * 1024;

interface ZipEntry {
  name: string;
  method: 0 | 8;
  data: Buffer[];
  crc: number;
  compressedSize: number;
  size: number;
}

/** `entries` (name → bytes) as a zip, with `name` replaced by `mebibytes` MiB of newlines, the manifest agreeing. */
export function newlineBomb(entries: readonly [string, Buffer][], name: string, mebibytes: number): Buffer {
  const newlines = Buffer.alloc(MiB, 0x0a);
  const block = deflateRawSync(newlines, { finishFlush: constants.Z_FULL_FLUSH });
  const hash = createHash('sha256');
  let crc = 0;
  for (let i = 0; i < mebibytes; i += 1) {
    hash.update(newlines);
    crc = crc32(newlines, crc);
  }
  const size = mebibytes * MiB;
  const bomb: ZipEntry = {
    name,
    method: 8,
    data: [...Array.from({ length: mebibytes }, () => block), Buffer.from([0x03, 0x00])],
    crc,
    compressedSize: mebibytes * block.length + 2,
    size,
  };
  const manifest = JSON.parse(entries.find(([n]) => n === 'manifest.json')?.[1].toString('utf8') ?? '{}') as {
    entries: { name: string; size: number; sha256: string }[];
  };
  for (const entry of manifest.entries)
    if (entry.name === name) Object.assign(entry, { size, sha256: hash.digest('hex') });
  const zipped = entries.map(([entryName, bytes]): ZipEntry => {
    if (entryName === name) return bomb;
    const data = entryName === 'manifest.json' ? Buffer.from(JSON.stringify(manifest)) : bytes;
    return {
      name: entryName,
      method: 0,
      data: [data],
      crc: crc32(data),
      compressedSize: data.length,
      size: data.length,
    };
  });
  return writeZip(zipped);
}

function writeZip(entries: readonly ZipEntry[]): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6);
    local.writeUInt16LE(entry.method, 8);
    local.writeUInt32LE(entry.crc >>> 0, 14);
    local.writeUInt32LE(entry.compressedSize, 18);
    local.writeUInt32LE(entry.size, 22);
    local.writeUInt16LE(name.length, 26);
    const header = Buffer.alloc(46);
    header.writeUInt32LE(0x02014b50, 0);
    header.writeUInt16LE(20, 4);
    header.writeUInt16LE(20, 6);
    header.writeUInt16LE(0x0800, 8);
    header.writeUInt16LE(entry.method, 10);
    header.writeUInt32LE(entry.crc >>> 0, 16);
    header.writeUInt32LE(entry.compressedSize, 20);
    header.writeUInt32LE(entry.size, 24);
    header.writeUInt16LE(name.length, 28);
    header.writeUInt32LE(offset, 42);
    central.push(header, name);
    parts.push(local, name, ...entry.data);
    offset += local.length + name.length + entry.compressedSize;
  }
  const directory = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, directory, end]);
}
