// Strings as strace quotes them (strace src/util.c string_quote, printstr_ex, printpathn): printable
// ASCII as is, `"` and `\` escaped, \t \n \v \f \r by name, every other byte in octal (three digits
// when the next byte is an octal digit, else the shortest form), or every byte in hex when asked. A
// string cut at `-s N` bytes, or a C string that did not end within the limit, is followed by `...`.

export interface QuoteOptions {
  /** Stop at the first NUL (a C string). */
  cstring?: boolean;
  /** Every byte as \xNN (strace does this for random bytes). */
  hex?: boolean;
}

export function quoteBytes(b: Uint8Array, opts: QuoteOptions = {}): string {
  let s = '"';
  for (let i = 0; i < b.length; i++) {
    const c = b[i];
    if (opts.cstring && c === 0) break;
    if (opts.hex) {
      s += '\\x' + c.toString(16).padStart(2, '0');
      continue;
    }
    switch (c) {
      case 0x22: s += '\\"'; break;
      case 0x5c: s += '\\\\'; break;
      case 0x0c: s += '\\f'; break;
      case 0x0a: s += '\\n'; break;
      case 0x0d: s += '\\r'; break;
      case 0x09: s += '\\t'; break;
      case 0x0b: s += '\\v'; break;
      default:
        if (c >= 0x20 && c < 0x7f) s += String.fromCharCode(c);
        else {
          const next = b[i + 1];
          const full = i + 1 < b.length && next >= 0x30 && next <= 0x37;
          s += '\\' + (full ? c.toString(8).padStart(3, '0') : c.toString(8));
        }
    }
  }
  return s + '"';
}

/**
 * A buffer of `len` bytes of which `bytes` were read (at most maxStr + 1): quoted, cut at maxStr,
 * with `...` when the buffer was longer (printstr_ex without QUOTE_0_TERMINATED).
 */
export function quoteBuffer(bytes: Uint8Array, len: number, maxStr: number, hex = false): string {
  const shown = bytes.subarray(0, Math.min(bytes.length, maxStr, len));
  return quoteBytes(shown, { hex }) + (len > maxStr ? '...' : '');
}

/**
 * A C string read as up to `limit` + 1 bytes (`raw`, which may hold the NUL): quoted up to the NUL,
 * with `...` when no NUL came within `limit` bytes.
 */
export function quoteCString(raw: Uint8Array, limit: number): string {
  const nul = raw.indexOf(0);
  const end = nul >= 0 && nul <= limit ? nul : Math.min(limit, raw.length);
  return quoteBytes(raw.subarray(0, end)) + (nul >= 0 && nul <= limit ? '' : '...');
}
