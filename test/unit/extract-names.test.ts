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

  it('keeps at most 120 characters (whole code points)', () => {
    const name = '🛠'.repeat(200);
    expect([...safeBaseName(name)]).toHaveLength(120);
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
