// Where a JSON text stops being JSON, with line and column, for the one-line report of a file
// that does not parse. Node 20's JSON.parse names no position for most errors ("Unexpected end of
// JSON input", "Unexpected token '/', ... is not valid JSON"), so the text is scanned once, without
// recursion, after JSON.parse has refused it. Also: text that is not UTF-8 (UTF-16, binary) is
// named as such, and characters that would garble a report line are shown escaped.

/** A character as a report shows it: printable ASCII quoted, anything else as U+XXXX. */
export function showChar(c: string | undefined): string {
  if (c === undefined) return 'the end of the file';
  const code = c.codePointAt(0) as number;
  return code >= 0x20 && code < 0x7f ? `'${c}'` : `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Control, invisible (zero-width, direction marks, BOM) and replacement characters escaped, so that a report stays one readable line. */
export function printable(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff\ufffd]/g, (c) => `\\u${(c.codePointAt(0) as number).toString(16).padStart(4, '0')}`);
}

/** Line and column (both from 1) of an offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    start = i + 1;
  }
  return { line, column: offset - start + 1 };
}

/** What a file's bytes are if they are not UTF-8 text: a UTF-16 or UTF-32 byte order mark, a NUL byte, an invalid sequence. Null for UTF-8. */
export function notUtf8(bytes: Uint8Array): string | null {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) return 'expected UTF-8 text, got a UTF-16 byte order mark (save the file as UTF-8)';
  const nul = bytes.indexOf(0);
  if (nul >= 0) return `expected UTF-8 text, got a NUL byte at byte ${nul} (UTF-16, or not text)`;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return 'expected UTF-8 text, got bytes that are not UTF-8';
  }
  return null;
}

/**
 * The first place `text` breaks the JSON grammar (RFC 8259), and what was expected there; null if
 * it is JSON. A scan with an explicit stack: nesting depth costs no call stack.
 */
export function jsonSyntaxError(text: string): { offset: number; expected: string } | null {
  let i = 0;
  const n = text.length;
  const ws = () => { while (i < n && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++; };
  const fail = (expected: string) => ({ offset: i, expected });
  /** A string at i (i at the opening quote); false where it breaks. */
  const string = (): { offset: number; expected: string } | null => {
    i++;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x22) { i++; return null; }
      if (c < 0x20) return fail('a character allowed in a string (control characters must be escaped)');
      if (c === 0x5c) {
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) { i += 2; return fail('four hex digits after \\u'); }
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else { i++; return fail('an escape: \\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX'); }
        continue;
      }
      i++;
    }
    return fail('the closing quote of a string');
  };
  const digit = (k: number) => { const c = text.charCodeAt(k); return c >= 0x30 && c <= 0x39; };
  const number = (): { offset: number; expected: string } | null => {
    if (text[i] === '-') i++;
    if (text[i] === '0') i++;
    else if (digit(i)) while (digit(i)) i++;
    else return fail('a digit');
    if (text[i] === '.') {
      i++;
      if (!digit(i)) return fail('a digit after the decimal point');
      while (digit(i)) i++;
    }
    if (text[i] === 'e' || text[i] === 'E') {
      i++;
      if (text[i] === '+' || text[i] === '-') i++;
      if (!digit(i)) return fail('a digit in the exponent');
      while (digit(i)) i++;
    }
    return null;
  };
  // The stack holds the open containers: '{' or '['.
  const stack: string[] = [];
  // What comes next: a value, or (inside a container) a key, a comma or the close.
  let want: 'value' | 'key-or-close' | 'key' | 'value-or-close' | 'comma-or-close' = 'value';
  for (;;) {
    ws();
    const c = text[i];
    if (want === 'comma-or-close') {
      const top = stack[stack.length - 1];
      if (top === undefined) return c === undefined ? null : fail('the end of the file after the JSON value');
      if (c === ',') { i++; want = top === '{' ? 'key' : 'value'; continue; }
      if ((top === '{' && c === '}') || (top === '[' && c === ']')) { i++; stack.pop(); continue; }
      return fail(top === '{' ? "',' or '}'" : "',' or ']'");
    }
    if (want === 'key' || want === 'key-or-close') {
      if (want === 'key-or-close' && c === '}') { i++; stack.pop(); want = 'comma-or-close'; continue; }
      if (c !== '"') return fail(want === 'key' ? 'a key in double quotes' : "a key in double quotes or '}'");
      const e = string();
      if (e) return e;
      ws();
      if (text[i] !== ':') return fail("':' after the key");
      i++;
      want = 'value';
      continue;
    }
    if (want === 'value-or-close' && c === ']') { i++; stack.pop(); want = 'comma-or-close'; continue; }
    // A value.
    if (c === '{') { i++; stack.push('{'); want = 'key-or-close'; continue; }
    if (c === '[') { i++; stack.push('['); want = 'value-or-close'; continue; }
    if (c === '"') { const e = string(); if (e) return e; want = 'comma-or-close'; continue; }
    if (c === '-' || digit(i)) { const e = number(); if (e) return e; want = 'comma-or-close'; continue; }
    const word = ['true', 'false', 'null'].find((w) => text.startsWith(w, i));
    if (word) { i += word.length; want = 'comma-or-close'; continue; }
    return fail(want === 'value-or-close' ? "a value or ']'" : 'a value (an object, array, string, number, true, false or null)');
  }
}
