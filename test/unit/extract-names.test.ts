/**
 * extract's file names and CSV: workflow and table names are user data, so a name never leaves the
 * chosen folder, never collides (case-insensitively), and a CSV field round-trips through RFC 4180.
 */
import { describe, expect, it } from 'vitest';
import { csvLine, FileNames, safeBaseName } from '../../functions/core/archive/extract.js';

describe('safeBaseName', () => {
  it.each([
    ['Orders', 'Orders'],
    ['../../etc/passwd', '_.._etc_passwd'],
    ['..\\..\\boot.ini', '_.._boot.ini'],
    ['a/b:c*d?e"f<g>h|i', 'a_b_c_d_e_f_g_h_i'],
    ['.hidden', 'hidden'],
    ['   ', 'workflow'],
    ['...', 'workflow'],
    ['line\nbreak\u0000nul', 'line_break_nul'],
    ['CON', '_CON'],
    ['nul.txt', '_nul.txt'],
    ['Ops 🛠 ⚠️', 'Ops 🛠 ⚠️'],
  ])('%j → %j', (name, expected) => {
    expect(safeBaseName(name)).toBe(expected);
  });

  it('keeps at most 150 bytes of UTF-8 (whole code points)', () => {
    expect(safeBaseName('🛠'.repeat(200))).toBe('🛠'.repeat(37));
    expect(Buffer.byteLength(safeBaseName('é'.repeat(240)))).toBe(150);
    expect(safeBaseName('x'.repeat(500))).toBe('x'.repeat(150));
  });
});

describe('FileNames', () => {
  it('gives a second workflow of the same name (in any case) its id, and a third a number', () => {
    const names = new FileNames();
    expect(names.take('Orders', 'a1')).toBe('Orders.json');
    expect(names.take('ORDERS', 'b2')).toBe('ORDERS (b2).json');
    expect(names.take('orders', 'b2')).toBe('orders (b2) 2.json');
    expect(names.take('Orders/EU', 'c3')).toBe('Orders_EU.json');
  });

  it('gives a shortened name its id, so long names that begin alike stay apart, each within 255 bytes', () => {
    const names = new FileNames();
    const long = 'ü'.repeat(240);
    const first = names.take(`${long} one`, 'a1');
    const second = names.take(`${long} two`, 'b2');
    const hostileId = names.take(long, `../${'z'.repeat(300)}`);
    expect(first).toBe(`${'ü'.repeat(75)} (a1).json`);
    expect(second).toBe(`${'ü'.repeat(75)} (b2).json`);
    expect(hostileId).toBe(`${'ü'.repeat(75)} (_${'z'.repeat(63)}).json`);
    for (const name of [first, second, hostileId]) expect(Buffer.byteLength(name)).toBeLessThanOrEqual(255);
  });
});

describe('csvLine', () => {
  it('quotes fields with commas, quotes, line breaks or outer spaces, doubling quotes; null is empty', () => {
    expect(csvLine(['plain', 1, true, null, undefined])).toBe('plain,1,true,,\r\n');
    expect(csvLine(['a,b', 'say "hi"', 'two\nlines', ' padded', 'cr\r'])).toBe(
      '"a,b","say ""hi""","two\nlines"," padded","cr\r"\r\n',
    );
    expect(csvLine([{ nested: [1, 'x'] }])).toBe('"{""nested"":[1,""x""]}"\r\n');
  });
});
