// Where each rule ID lives, for the generated index in docs/rules.md (spec/emit.ts). The model, the
// implementation, the tests and the traces are read as text, never imported: spec/ imports only
// spec/ (test/layering.test.ts), and the index must not depend on the code being loadable. So the
// scan keys on text patterns, not on file names, and survives code moving between files:
//   - a rule ID is any catalogue ID in the text, and `AE-2..5` / `PV-1 .. PV-3` name the IDs between;
//   - a scope is a named function (`function f`), a top-level const or let, a const bound to an
//     arrow function, a class and its methods; the comment block right above a declaration belongs
//     to it; an ID is attributed to the innermost scope around it (IDs outside every scope, such as
//     a file's header comment, are not attributed).
// The column definitions are stated at the top of docs/rules.md (INDEX_LEGEND below).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/** What the index knows about one rule ID: sorted, deterministic lists. */
export interface RuleSites {
  /** `file: scope, scope` per model file that cites the ID. */
  readonly model: readonly string[];
  /** Statechart transitions as `event (role, role)`, or named actions/guards if no transition table was found. */
  readonly statechart: readonly string[];
  /** `file: scope, scope` per impl file that names the ID. */
  readonly impl: readonly string[];
  /** Test titles (file and title), in file order. */
  readonly tests: readonly { readonly file: string; readonly title: string }[];
  /** Trace files. */
  readonly traces: readonly string[];
}

export const INDEX_LEGEND = [
  'Where each ID lives is found by reading the sources as text (`spec/index-sources.ts`), so the index',
  'follows the code wherever it moves:',
  '',
  '- **Model**: the named functions, methods and top-level consts of `model/**/*.ts` (tests and the',
  '  statechart excluded) whose body or leading comment names the ID: `cite(t, \'AE-3\')`,',
  '  `ignore(t, \'DEC-9\')`, rule arrays, a `// AE-3` comment on a branch. Each ID is credited to the',
  '  innermost named scope around it.',
  '- **Statechart**: the transitions `event (roles)` of the xstate machine (the model file that calls',
  '  `createMachine`) whose row, with the named row constants it uses (`NEWER_TERM`, spreads such as',
  '  `...NOT_LEADING`) expanded, names the ID in a comment, or lists a guard or action whose',
  '  definition in `setup()` names the ID or calls a model function that cites it, directly or through',
  '  the model functions it calls (so a transition is listed for every rule it can fire). Where no',
  '  `states` table can be read, the named guards and actions are listed instead.',
  '- **Impl**: the functions and methods of `impl/**/*.ts` (tests excluded) whose body or comments',
  '  name the ID.',
  '- **Tests**: the `describe`/`it`/`test` titles of `**/*.test.ts` that contain the ID.',
  '- **Traces**: the fixtures under `traces/` whose name, description or step notes cite the ID (the',
  '  trace format has no separate list of expected rules; `npx raftspec check` reports the rules the',
  '  model actually fires).',
].join('\n');

// --- Rule IDs in text -------------------------------------------------------------------------

const ID_OR_RANGE = /\b([A-Z]{2,5})-(\d+)([a-z]?)(?:\s?\.\.\s?(?:\1-)?(\d+)\b)?/g;

/** The catalogue IDs a text names, with their positions; a range `X-1..3` names X-1, X-2, X-3 and their lettered parts. */
export function idsIn(text: string, known: ReadonlySet<string>): { id: string; at: number }[] {
  const found: { id: string; at: number }[] = [];
  for (const m of text.matchAll(ID_OR_RANGE)) {
    const [whole, prefix, from, letter, to] = m;
    const at = m.index;
    if (to === undefined) {
      const id = `${prefix}-${from}${letter}`;
      if (known.has(id)) found.push({ id, at });
      else if (known.has(`${prefix}-${from}`) && /^[A-Z]+-\d+[a-z]$/.test(whole)) found.push({ id: `${prefix}-${from}`, at });
      continue;
    }
    for (const id of known) {
      const k = /^([A-Z]+)-(\d+)[a-z]?$/.exec(id);
      if (k && k[1] === prefix && Number(k[2]) >= Number(from) && Number(k[2]) <= Number(to)) found.push({ id, at });
    }
  }
  return found;
}

// --- Files ------------------------------------------------------------------------------------

/** Every file under dir (relative to root, '/'-separated, sorted), skipping node_modules and dot folders. */
export function filesUnder(root: string, dir: string, keep: (rel: string) => boolean): string[] {
  const out: string[] = [];
  const walk = (abs: string): void => {
    let names: string[];
    try { names = readdirSync(abs).sort(); } catch { return; }
    for (const name of names) {
      if (name === 'node_modules' || name.startsWith('.')) continue;
      const p = join(abs, name);
      if (statSync(p).isDirectory()) walk(p);
      else {
        const rel = relative(root, p).split('\\').join('/');
        if (keep(rel)) out.push(rel);
      }
    }
  };
  walk(join(root, dir));
  return out.sort();
}

const isTestPath = (rel: string): boolean => rel.endsWith('.test.ts') || rel.split('/').includes('test');
const sourceFiles = (root: string, dir: string): string[] => filesUnder(root, dir, (rel) => rel.endsWith('.ts') && !rel.endsWith('.d.ts') && !isTestPath(rel));

// --- A small TypeScript reader: code with strings and comments blanked out ----------------------

/**
 * The text with every comment, string and template text replaced by spaces (newlines kept, so
 * positions and lines stay), template `${...}` expressions kept as code. Enough to match brackets
 * and find declarations; not a parser.
 */
export function maskCode(text: string, keepStrings = false): string {
  const out = text.split('');
  const blankAlways = (from: number, to: number): void => { for (let i = from; i < to; i++) if (out[i] !== '\n') out[i] = ' '; };
  const blank = keepStrings ? (): void => undefined : blankAlways;
  const templateDepth: number[] = []; // brace depth at which each open `${` returns to its template
  let braces = 0;
  let i = 0;
  let lastSignificant = '';
  const n = text.length;
  const scanTemplate = (start: number): number => {
    // from just after a backtick or a closing `}` of `${`: to the closing backtick or the next `${`
    let j = start;
    while (j < n) {
      const c = text[j];
      if (c === '\\') { j += 2; continue; }
      if (c === '`') { blank(start, j); return j + 1; }
      if (c === '$' && text[j + 1] === '{') { blank(start, j); templateDepth.push(braces); braces++; return j + 2; }
      j++;
    }
    blank(start, n);
    return n;
  };
  while (i < n) {
    const c = text[i] as string;
    const d = text[i + 1];
    if (c === '/' && d === '/') { const e = text.indexOf('\n', i); const end = e < 0 ? n : e; blankAlways(i, end); i = end; continue; }
    if (c === '/' && d === '*') { const e = text.indexOf('*/', i + 2); const end = e < 0 ? n : e + 2; blankAlways(i, end); i = end; continue; }
    if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < n && text[j] !== c && text[j] !== '\n') j += text[j] === '\\' ? 2 : 1;
      blank(i + 1, j); i = j + 1; lastSignificant = 'x'; continue;
    }
    if (c === '`') { i = scanTemplate(i + 1); lastSignificant = 'x'; continue; }
    if (c === '/' && (lastSignificant === '' || '(,=:[!&|?{};+-*%<>~^'.includes(lastSignificant))) {
      // a regular expression literal
      let j = i + 1;
      let inClass = false;
      while (j < n && text[j] !== '\n') {
        const r = text[j];
        if (r === '\\') { j += 2; continue; }
        if (r === '[') inClass = true;
        else if (r === ']') inClass = false;
        else if (r === '/' && !inClass) break;
        j++;
      }
      blank(i + 1, j); i = j + 1; lastSignificant = 'x'; continue;
    }
    if (c === '{') braces++;
    if (c === '}') {
      braces--;
      if (templateDepth.length > 0 && templateDepth[templateDepth.length - 1] === braces) {
        templateDepth.pop();
        i = scanTemplate(i + 1);
        lastSignificant = 'x';
        continue;
      }
    }
    if (!/\s/.test(c)) lastSignificant = /[\w$]/.test(c) ? (/^(return|typeof|case|in|of)$/.test(wordEndingAt(text, i)) ? '(' : 'x') : c;
    i++;
  }
  return out.join('');
}

function wordEndingAt(text: string, i: number): string {
  let j = i;
  while (j >= 0 && /[\w$]/.test(text[j] as string)) j--;
  return text.slice(j + 1, i + 1);
}

/** For every opening bracket of the masked code, the index of its closing one. */
function matchBrackets(code: string): Map<number, number> {
  const match = new Map<number, number>();
  const stack: number[] = [];
  const pairs: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
  for (let i = 0; i < code.length; i++) {
    const c = code[i] as string;
    if (c === '(' || c === '[' || c === '{') stack.push(i);
    else if (c in pairs) {
      const open = stack.pop();
      if (open !== undefined) match.set(open, i);
    }
  }
  return match;
}

/** Brace depth (nesting of `{`) at every position of the masked code. */
function braceDepths(code: string): Int32Array {
  const depth = new Int32Array(code.length + 1);
  let d = 0;
  for (let i = 0; i < code.length; i++) {
    if (code[i] === '}') d--;
    depth[i] = d;
    if (code[i] === '{') d++;
  }
  depth[code.length] = d;
  return depth;
}

interface Scope {
  readonly name: string;
  /** Start of the comment block above the declaration, or of the declaration. */
  readonly start: number;
  readonly end: number;
  readonly kind: 'function' | 'class' | 'const' | 'method';
}

/** The start of the declaration's line, moved up over the comment lines right above it (no blank line between). */
function withLeadingComment(text: string, at: number): number {
  let lineStart = text.lastIndexOf('\n', at - 1) + 1;
  for (;;) {
    if (lineStart === 0) return lineStart;
    const prevStart = text.lastIndexOf('\n', lineStart - 2) + 1;
    const prev = text.slice(prevStart, lineStart - 1).trim();
    if (!(prev.startsWith('//') || prev.startsWith('/*') || prev.startsWith('*'))) return lineStart;
    lineStart = prevStart;
  }
}

/** The body `{` of a function whose parameter list closes at `close`, or -1 (an overload, no body). */
function bodyAfter(code: string, close: number, match: Map<number, number>): number {
  let prev = ')';
  for (let i = close + 1; i < code.length; i++) {
    const c = code[i] as string;
    if (/\s/.test(c)) continue;
    if (c === ';') return -1;
    if (c === '=' && code[i + 1] === '>') { prev = '>'; i++; continue; }
    if (c === '{') {
      // `): {a: T} {`: a `{` right after `:`, `|`, `&`, `<`, `,` or `(` opens a type literal
      if (':|&<,('.includes(prev)) { i = match.get(i) ?? i; prev = '}'; continue; }
      return i;
    }
    if (c === '(' || c === '[') { i = match.get(i) ?? i; prev = c === '(' ? ')' : ']'; continue; }
    prev = c;
  }
  return -1;
}

const IDENT = '[A-Za-z_$][\\w$]*';
const MODIFIERS = '(?:(?:public|private|protected|static|readonly|async|override|abstract|get|set)\\s+)*';

/** The named scopes of a file, outermost first. */
export function scopesOf(text: string, code: string = maskCode(text)): Scope[] {
  const match = matchBrackets(code);
  const depth = braceDepths(code);
  const scopes: Scope[] = [];
  const endOfStatement = (from: number): number => {
    const d = depth[from] as number;
    for (let i = from; i < code.length; i++) {
      const c = code[i] as string;
      if (c === '(' || c === '[' || c === '{') { i = match.get(i) ?? i; continue; }
      if (c === ';' || (c === '}' && (depth[i] as number) < d)) return i + (c === ';' ? 1 : 0);
    }
    return code.length;
  };
  for (const m of code.matchAll(new RegExp(`\\bfunction\\s*\\*?\\s*(${IDENT})\\s*(?:<[^(]*>)?\\s*\\(`, 'g'))) {
    const open = m.index + m[0].length - 1;
    const close = match.get(open);
    if (close === undefined) continue;
    const body = bodyAfter(code, close, match);
    const end = body < 0 ? -1 : match.get(body);
    if (end !== undefined && end >= 0) scopes.push({ name: m[1] as string, start: withLeadingComment(text, m.index), end: end + 1, kind: 'function' });
  }
  for (const m of code.matchAll(new RegExp(`\\bclass\\s+(${IDENT})[^{]*\\{`, 'g'))) {
    const open = m.index + m[0].length - 1;
    const end = match.get(open);
    if (end === undefined) continue;
    scopes.push({ name: m[1] as string, start: withLeadingComment(text, m.index), end: end + 1, kind: 'class' });
    const memberDepth = (depth[open] as number) + 1;
    const members = new RegExp(`^[ \\t]*${MODIFIERS}(#?${IDENT})\\s*(?:<[^(]*>)?\\s*(\\(|[:=])`, 'gm');
    members.lastIndex = open + 1;
    // The constructor's parameter list (`private readonly buf: Entry[],`) declares no member scope.
    let parametersEnd = -1;
    for (let mm = members.exec(code); mm && mm.index < end; mm = members.exec(code)) {
      const at = mm.index + (mm[0].length - mm[0].trimStart().length);
      if (depth[at] !== memberDepth || at < parametersEnd) continue;
      const name = mm[1] as string;
      if (name === 'constructor' || mm[2] !== '(') {
        if (name === 'constructor') {
          const openP = mm.index + mm[0].length - 1;
          const closeP = match.get(openP);
          parametersEnd = closeP ?? parametersEnd;
          const body = closeP === undefined ? -1 : bodyAfter(code, closeP, match);
          const bodyEnd = body < 0 ? undefined : match.get(body);
          if (bodyEnd !== undefined) scopes.push({ name, start: withLeadingComment(text, at), end: bodyEnd + 1, kind: 'method' });
          continue;
        }
        // a property: a method only if bound to an arrow function
        const stmtEnd = endOfStatement(mm.index + mm[0].length);
        if (/=>/.test(code.slice(at, stmtEnd))) scopes.push({ name, start: withLeadingComment(text, at), end: stmtEnd, kind: 'method' });
        continue;
      }
      const openP = mm.index + mm[0].length - 1;
      const closeP = match.get(openP);
      if (closeP === undefined) continue;
      const body = bodyAfter(code, closeP, match);
      const bodyEnd = body < 0 ? undefined : match.get(body);
      if (bodyEnd !== undefined) scopes.push({ name, start: withLeadingComment(text, at), end: bodyEnd + 1, kind: 'method' });
    }
  }
  const arrowOrFunction = new RegExp(`^\\s*(?::[^=]*)?=\\s*(?:async\\s+)?(?:function\\b|${IDENT}\\s*=>|(?:<[^(]*>)?\\s*\\([^]*?\\)\\s*(?::[^=]*)?=>)`);
  for (const m of code.matchAll(new RegExp(`\\b(?:const|let|var)\\s+(${IDENT})`, 'g'))) {
    const topLevel = depth[m.index] === 0;
    const rest = code.slice(m.index + m[0].length, m.index + m[0].length + 400);
    if (!topLevel && !arrowOrFunction.test(rest)) continue;
    scopes.push({ name: m[1] as string, start: withLeadingComment(text, m.index), end: endOfStatement(m.index + m[0].length), kind: 'const' });
  }
  return scopes.sort((a, b) => a.start - b.start || b.end - a.end);
}

/** The qualified name (`Class.method`, `outer.inner`) of the innermost scope around a position, or null. */
function scopeAt(scopes: readonly Scope[], at: number): string | null {
  const around = scopes.filter((s) => s.start <= at && at < s.end);
  if (around.length === 0) return null;
  return around.map((s) => s.name).join('.');
}

/**
 * For every scope of a file that names an ID: scope name -> IDs. With `inCode`, only the IDs its
 * code cites (string literals: `cite(t, 'AE-3')`), not those its comments mention.
 */
function citationsOf(text: string, known: ReadonlySet<string>, inCode = false): Map<string, Set<string>> {
  const scopes = scopesOf(text);
  const out = new Map<string, Set<string>>();
  // a union of ID literals is a parameter type (`id: 'DEC-1' | 'DEC-8'`): the caller cites, not the callee
  const code = inCode ? maskCode(text, true).replace(/(['"])[A-Z]+-\d+[a-z]?\1(?=\s*\|)|(?<=\|\s*)(['"])[A-Z]+-\d+[a-z]?\2/g, (x) => ' '.repeat(x.length)) : text;
  for (const { id, at } of idsIn(code, known)) {
    const name = scopeAt(scopes, at);
    if (name === null) continue;
    let ids = out.get(name);
    if (!ids) out.set(name, (ids = new Set()));
    ids.add(id);
  }
  return out;
}

// --- The statechart -----------------------------------------------------------------------------

/** The direct `key: value` properties (and `...SPREAD`s) of the object literal opening at `open`. */
function propertiesOf(text: string, code: string, match: Map<number, number>, open: number): { key: string; value: string; start: number; from: number; to: number }[] {
  const close = match.get(open) ?? open;
  const props: { key: string; value: string; start: number; from: number; to: number }[] = [];
  let i = open + 1;
  while (i < close) {
    while (i < close && /[\s,]/.test(code[i] as string)) i++;
    if (i >= close) break;
    const from = i;
    let j = i;
    for (; j < close; j++) {
      const c = code[j] as string;
      if (c === '(' || c === '[' || c === '{') { j = match.get(j) ?? j; continue; }
      if (c === ',') break;
    }
    // the row runs to the end of its last line, so a trailing `// ID` comment belongs to it
    const lineEnd = text.indexOf('\n', j);
    const to = Math.min(lineEnd < 0 ? text.length : lineEnd, close);
    const head = code.slice(from, j);
    const spread = /^\.\.\.\s*([\w$]+)/.exec(head);
    const kv = new RegExp(`^(?:['"]?)(${IDENT}(?:\\.${IDENT})*)['"]?\\s*:`).exec(text.slice(from, j));
    if (spread) props.push({ key: `...${spread[1]}`, value: text.slice(from, Math.max(to, j)), start: from, from, to: j });
    else if (kv) props.push({ key: kv[1] as string, value: text.slice(from + kv[0].length, Math.max(to, j)), start: from, from: from + kv[0].length, to: j });
    i = j + 1;
  }
  return props;
}

interface Statechart {
  /** Named guards and actions: name -> their definition text (with leading comment). */
  readonly named: Map<string, string>;
  /** Transitions: `event (role)` -> row text with its named constants expanded. */
  readonly transitions: { event: string; role: string; text: string }[];
}

function readStatechart(text: string): Statechart {
  const code = maskCode(text);
  const match = matchBrackets(code);
  const depth = braceDepths(code);
  // top-level consts, for expanding the row constants (NEWER_TERM, ...NOT_LEADING)
  const consts = new Map<string, { text: string; open: number }>();
  for (const m of code.matchAll(new RegExp(`^(?:export\\s+)?const\\s+(${IDENT})\\s*=\\s*`, 'gm'))) {
    if (depth[m.index] !== 0) continue;
    const valueAt = m.index + m[0].length;
    let end = valueAt;
    for (; end < code.length; end++) {
      const c = code[end] as string;
      if (c === '(' || c === '[' || c === '{') { end = match.get(end) ?? end; continue; }
      if (c === ';') break;
    }
    consts.set(m[1] as string, { text: text.slice(withLeadingComment(text, m.index), end), open: code[valueAt] === '{' ? valueAt : -1 });
  }
  const expand = (s: string, seen: ReadonlySet<string>): string =>
    s.replace(/\b[A-Z][A-Z0-9_]{2,}\b/g, (name) => {
      const c = consts.get(name);
      return c && !seen.has(name) ? `${name} ${expand(c.text, new Set([...seen, name]))}` : name;
    });
  const objectAfter = (key: string, from: number, to: number): number => {
    const re = new RegExp(`\\b${key}\\s*:\\s*\\{`, 'g');
    re.lastIndex = from;
    for (let m = re.exec(code); m && m.index < to; m = re.exec(code)) if (depth[m.index] === depth[from]) return m.index + m[0].length - 1;
    return -1;
  };
  const named = new Map<string, string>();
  const setupAt = code.search(/\bsetup\s*\(\s*\{/);
  if (setupAt >= 0) {
    const open = code.indexOf('{', setupAt);
    const close = match.get(open) ?? open;
    for (const key of ['guards', 'actions']) {
      const obj = objectAfter(key, open + 1, close);
      if (obj < 0) continue;
      for (const p of propertiesOf(text, code, match, obj)) named.set(p.key, text.slice(withLeadingComment(text, p.start), p.to));
    }
  }
  const transitions: { event: string; role: string; text: string }[] = [];
  const eventsOf = (open: number, seen: ReadonlySet<string>): Map<string, string> => {
    const events = new Map<string, string>();
    for (const p of propertiesOf(text, code, match, open)) {
      if (p.key.startsWith('...')) {
        const name = p.key.slice(3);
        const c = consts.get(name);
        if (c && c.open >= 0 && !seen.has(name)) for (const [e, t] of eventsOf(c.open, new Set([...seen, name]))) events.set(e, t);
        continue;
      }
      events.set(p.key, p.value);
    }
    return events;
  };
  const roles = (open: number, prefix: string): void => {
    for (const p of propertiesOf(text, code, match, open)) {
      const roleOpen = code.indexOf('{', p.from);
      if (p.key.startsWith('...') || roleOpen < 0 || roleOpen >= p.to) continue;
      const role = prefix + p.key;
      const roleClose = match.get(roleOpen) ?? roleOpen;
      for (const q of propertiesOf(text, code, match, roleOpen)) {
        if (q.key === 'always') transitions.push({ event: 'always', role, text: `${text.slice(withLeadingComment(text, q.start), q.start)} ${q.value}` });
      }
      const on = objectAfter('on', roleOpen + 1, roleClose);
      if (on >= 0) for (const [event, t] of eventsOf(on, new Set())) transitions.push({ event, role, text: t });
      const inner = objectAfter('states', roleOpen + 1, roleClose);
      if (inner >= 0) roles(inner, `${role}.`);
    }
  };
  const machineAt = code.search(/\bcreateMachine\s*\(\s*\{/);
  if (machineAt >= 0) {
    const open = code.indexOf('{', machineAt);
    const states = objectAfter('states', open + 1, match.get(open) ?? open);
    if (states >= 0) roles(states, '');
  }
  for (const t of transitions) t.text = expand(t.text, new Set());
  return { named, transitions };
}

// --- Tests and traces -----------------------------------------------------------------------------

const TITLE = /\b(?:it|test|describe)(?:\.(?:skip|only|todo|concurrent|sequential|fails))*(?:\.each\s*\([^)]*\))?\s*\(\s*(['"`])((?:\\.|(?!\1)[^\\])*)\1/g;

function testTitles(text: string): string[] {
  return [...text.matchAll(TITLE)].map((m) => (m[2] as string).replace(/\\(.)/g, '$1'));
}

interface TraceText { readonly name?: unknown; readonly description?: unknown; readonly steps?: unknown }

function traceText(json: string): string {
  let doc: TraceText;
  try { doc = JSON.parse(json) as TraceText; } catch { return ''; }
  const notes = Array.isArray(doc.steps) ? doc.steps.map((s: unknown) => (typeof s === 'object' && s !== null && 'note' in s && typeof s.note === 'string' ? s.note : '')) : [];
  return [doc.name, doc.description, ...notes].filter((x): x is string => typeof x === 'string').join('\n');
}

// --- The index ------------------------------------------------------------------------------------

const byFile = (hits: Map<string, Set<string>>): string[] =>
  [...hits.keys()].sort().map((file) => `${file}: ${[...(hits.get(file) as Set<string>)].sort().join(', ')}`);

/** For every known ID, where it lives (see INDEX_LEGEND). */
export function ruleSites(root: string, known: readonly string[]): Map<string, RuleSites> {
  const ids = new Set(known);
  const read = (rel: string): string => readFileSync(join(root, rel), 'utf8');
  const add = <K>(m: Map<string, Map<K, Set<string>>>, id: string, key: K, value: string): void => {
    let inner = m.get(id);
    if (!inner) m.set(id, (inner = new Map()));
    let set = inner.get(key);
    if (!set) inner.set(key, (set = new Set()));
    set.add(value);
  };

  // model: scopes that cite, with the call graph among them (for the statechart)
  const model = new Map<string, Map<string, Set<string>>>();
  const modelFiles = sourceFiles(root, 'model').map((rel) => ({ rel, text: read(rel) }));
  const isChart = (text: string): boolean => /\bcreateMachine\s*\(/.test(text);
  const direct = new Map<string, Set<string>>(); // short function name -> IDs it cites
  const calls = new Map<string, Set<string>>(); // short function name -> model functions it names
  const modelNames = new Set<string>();
  const bodies: { short: string; body: string }[] = [];
  for (const { rel, text } of modelFiles) {
    if (isChart(text)) continue;
    const code = maskCode(text);
    for (const s of scopesOf(text, code)) if (s.kind !== 'class') { modelNames.add(s.name); bodies.push({ short: s.name, body: code.slice(s.start, s.end) }); }
    for (const [scope, cited] of citationsOf(text, ids)) for (const id of cited) add(model, id, rel, scope);
    for (const [scope, cited] of citationsOf(text, ids, true)) {
      const short = scope.split('.').pop() as string;
      let d = direct.get(short);
      if (!d) direct.set(short, (d = new Set()));
      for (const id of cited) d.add(id);
    }
  }
  for (const { short, body } of bodies) {
    const named = calls.get(short) ?? new Set<string>();
    for (const m of body.matchAll(/\b([A-Za-z_$][\w$]*)\s*\(/g)) if (modelNames.has(m[1] as string) && m[1] !== short) named.add(m[1] as string);
    calls.set(short, named);
  }
  const reach = new Map<string, Set<string>>();
  const idsReached = (fn: string): Set<string> => {
    const known2 = reach.get(fn);
    if (known2) return known2;
    const out = new Set<string>(direct.get(fn) ?? []);
    reach.set(fn, out); // cycles: a function in progress contributes what it has so far
    for (const callee of calls.get(fn) ?? []) for (const id of idsReached(callee)) out.add(id);
    return out;
  };

  // the statechart
  const chart = new Map<string, Map<string, Set<string>>>(); // id -> event -> roles
  const chartNamed = new Map<string, Set<string>>();
  for (const { text } of modelFiles.filter((f) => isChart(f.text))) {
    const { named, transitions } = readStatechart(text);
    const local = new Set(scopesOf(text).map((s) => s.name)); // the chart's own helpers (step, as) are not model functions
    const namedIds = new Map<string, Set<string>>();
    for (const [name, def] of named) {
      const found = new Set(idsIn(def, ids).map((x) => x.id));
      for (const m of maskCode(def).matchAll(/(\.?)\b([A-Za-z_$][\w$]*)\s*\(/g)) {
        const fn = m[2] as string;
        if (m[1] === '.' || !local.has(fn)) for (const id of idsReached(fn)) found.add(id);
      }
      namedIds.set(name, found);
    }
    if (transitions.length === 0) {
      for (const [name, found] of namedIds) for (const id of found) {
        let s = chartNamed.get(id);
        if (!s) chartNamed.set(id, (s = new Set()));
        s.add(name);
      }
    }
    for (const { event, role, text: row } of transitions) {
      const found = new Set(idsIn(row, ids).map((x) => x.id));
      for (const m of row.matchAll(/['"]([A-Za-z_$][\w$]*)['"]/g)) for (const id of namedIds.get(m[1] as string) ?? []) found.add(id);
      for (const id of found) add(chart, id, event, role);
    }
  }

  const impl = new Map<string, Map<string, Set<string>>>();
  for (const rel of sourceFiles(root, 'impl')) for (const [scope, cited] of citationsOf(read(rel), ids)) for (const id of cited) add(impl, id, rel, scope);

  const tests = new Map<string, { file: string; title: string }[]>();
  for (const rel of filesUnder(root, '.', (r) => r.endsWith('.test.ts'))) {
    for (const title of testTitles(read(rel))) {
      for (const id of new Set(idsIn(title, ids).map((x) => x.id))) {
        const list = tests.get(id) ?? [];
        list.push({ file: rel, title });
        tests.set(id, list);
      }
    }
  }

  const traces = new Map<string, string[]>();
  for (const rel of filesUnder(root, 'traces', (r) => r.endsWith('.json'))) {
    for (const id of new Set(idsIn(traceText(read(rel)), ids).map((x) => x.id))) traces.set(id, [...(traces.get(id) ?? []), rel]);
  }

  const out = new Map<string, RuleSites>();
  for (const id of known) {
    const events = chart.get(id);
    const statechart = events
      ? [...events.keys()].sort().map((e) => `${e} (${[...(events.get(e) as Set<string>)].join(', ')})`)
      : [...(chartNamed.get(id) ?? [])].sort();
    out.set(id, {
      model: byFile(model.get(id) ?? new Map()),
      statechart,
      impl: byFile(impl.get(id) ?? new Map()),
      tests: tests.get(id) ?? [],
      traces: traces.get(id) ?? [],
    });
  }
  return out;
}
