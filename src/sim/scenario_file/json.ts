// JSON with positions, for scenario files. jsonc-parser (its `visit` walk, comments and trailing commas
// refused) reads the text and reports the offset of every token; this file builds a tree whose every
// value and field name records where it starts (offset, line, column), and turns the first syntax error
// into one message that says what was found where and how to fix it. A syntax error is told from where
// the walk stood when it happened (expecting a field name, a ':', a value, a ',' or the end of the file),
// so the messages name the field whose value is broken. Nesting is bounded (MAX_DEPTH) before the
// library's recursive descent sees the text, so no input exhausts the stack.

import { createScanner, visit } from 'jsonc-parser';

/** Where a value starts: 0-based offset, 1-based line and column (UTF-16 code units). */
export interface Pos {
  readonly offset: number;
  readonly line: number;
  readonly col: number;
}

export interface JField {
  readonly key: string;
  readonly keyPos: Pos;
  readonly value: JNode;
}

export type JNode =
  | { readonly kind: 'object'; readonly pos: Pos; readonly fields: readonly JField[] }
  | { readonly kind: 'array'; readonly pos: Pos; readonly items: readonly JNode[] }
  | { readonly kind: 'string'; readonly pos: Pos; readonly value: string }
  | { readonly kind: 'number'; readonly pos: Pos; readonly value: number; readonly text: string }
  | { readonly kind: 'boolean'; readonly pos: Pos; readonly value: boolean }
  | { readonly kind: 'null'; readonly pos: Pos };

/** A syntax error: where, what was wrong, what to do. */
export interface JsonSyntaxError {
  readonly pos: Pos;
  readonly problem: string;
  readonly fix: string;
}

export type JsonResult = { ok: true; root: JNode } | { ok: false; error: JsonSyntaxError };

/** Nesting a scenario file never needs; deeper input is refused before the parser recurses into it. */
export const MAX_DEPTH = 32;

// jsonc-parser's ParseErrorCode and SyntaxKind values (its typings declare them as const enums, which a
// build that compiles each file alone cannot inline).
const ERR = {
  invalidSymbol: 1,
  invalidNumberFormat: 2,
  invalidCommentToken: 10,
  unexpectedEndOfComment: 11,
  unexpectedEndOfString: 12,
  unexpectedEndOfNumber: 13,
  invalidUnicode: 14,
  invalidEscapeCharacter: 15,
  invalidCharacter: 16,
} as const;
const TOKEN = {
  openBrace: 1,
  closeBrace: 2,
  openBracket: 3,
  closeBracket: 4,
  lineBreak: 14,
  trivia: 15,
  eof: 17,
} as const;

/** Maps offsets to lines and columns. */
export class Lines {
  private readonly starts: number[] = [0];

  constructor(text: string) {
    for (let k = 0; k < text.length; k += 1) if (text[k] === '\n') this.starts.push(k + 1);
  }

  pos(offset: number): Pos {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { offset, line: lo + 1, col: offset - this.starts[lo]! + 1 };
  }
}

/** What the character at an offset looks like in a message. */
function shown(ch: string | undefined): string {
  if (ch === undefined) return 'the end of the file';
  if (ch === '\n' || ch === '\r') return 'the end of the line';
  const code = ch.charCodeAt(0);
  if (code < 0x20 || code === 0x7f) return `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  return `'${ch}'`;
}

const ESCAPE_CHARS = '"\\/bfnrt';

/** The first problem in the string token starting at `start` (its opening quote), in reading order. */
function stringProblem(text: string, start: number): [number, string, string] {
  let i = start + 1;
  for (;;) {
    const ch = text[i];
    if (ch === undefined || ch === '\n' || ch === '\r') {
      return [start, 'unterminated string', `close the string with '"' on the same line`];
    }
    if (ch === '"') return [start, 'unterminated string', `close the string with '"' on the same line`];
    if (ch.charCodeAt(0) < 0x20) {
      return [i, `control character ${shown(ch)} in a string`, 'escape it (\\t, \\n, \\u0000)'];
    }
    if (ch !== '\\') {
      i += 1;
      continue;
    }
    const esc = text[i + 1];
    if (esc === 'u') {
      if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
        return [i, 'invalid \\u escape in a string', 'write \\u followed by four hex digits'];
      }
      i += 6;
      continue;
    }
    if (esc === undefined || !ESCAPE_CHARS.includes(esc)) {
      return [
        i,
        `invalid escape '\\${esc ?? ''}' in a string`,
        'use \\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX',
      ];
    }
    i += 2;
  }
}

/** A malformed number starting at `start`. */
function numberProblem(text: string, start: number): [number, string, string] {
  const bad = /^[-+\w.]+/.exec(text.slice(start))?.[0] ?? text[start];
  return [
    start,
    `malformed number '${bad}'`,
    'write a plain decimal number (no leading zeros, hex, "+" or trailing ".")',
  ];
}

/** A value was expected at `at` and something else is there. */
function valueProblem(text: string, at: number): [number, string, string] {
  const ch = text[at];
  if (ch === '-' || (ch !== undefined && ch >= '0' && ch <= '9')) return numberProblem(text, at);
  const word = /^[A-Za-z_$][\w$]*/.exec(text.slice(at, at + 32))?.[0];
  const found = word === undefined ? shown(ch) : `'${word}'`;
  return [
    at,
    `expected a value, found ${found}`,
    word === undefined
      ? 'write a number, a "string", true, false, null, an object or an array'
      : 'quote strings with double quotes; JSON has only the literals true, false and null',
  ];
}

/** Where the parser must not read on: the first level too deep, or the first blank JSON does not allow. */
interface Cut {
  readonly offset: number;
  readonly kind: 'depth' | 'blank';
}

/**
 * The first place the library's walk must stop before: a '{' or '[' that opens a level deeper than
 * MAX_DEPTH, counting the brackets the scanner meets (the parser's own nesting is never deeper than that
 * count), or a character the library takes as white space and JSON does not (U+00A0, U+2028, a vertical
 * tab...). Null when there is none.
 */
function findCut(text: string): Cut | null {
  const scanner = createScanner(text, false);
  let depth = 0;
  for (;;) {
    const t = scanner.scan();
    if (t === TOKEN.eof) return null;
    if (t === TOKEN.openBrace || t === TOKEN.openBracket) {
      depth += 1;
      if (depth > MAX_DEPTH) return { offset: scanner.getTokenOffset(), kind: 'depth' };
    } else if ((t === TOKEN.closeBrace || t === TOKEN.closeBracket) && depth > 0) {
      depth -= 1;
    } else if (t === TOKEN.trivia || t === TOKEN.lineBreak) {
      const start = scanner.getTokenOffset();
      const bad = /[^ \t\n\r]/.exec(text.slice(start, start + scanner.getTokenLength()));
      if (bad !== null) return { offset: start + bad.index, kind: 'blank' };
    }
  }
}

/** What the walk expects next. */
type Expect = 'value' | 'key' | 'colon' | 'after' | 'end';

interface Open {
  readonly node: { kind: 'object'; pos: Pos; fields: JField[] } | { kind: 'array'; pos: Pos; items: JNode[] };
  key: string;
  keyPos: Pos;
}

/** Parse a scenario file's text. Never throws. */
export function parseJson(input: string): JsonResult {
  // A byte-order mark is allowed and read as a space (offsets stay those of the file).
  const text = input.charCodeAt(0) === 0xfeff ? ` ${input.slice(1)}` : input;
  const lines = new Lines(text);
  const lead = /^[ \t\n\r]*/.exec(text)?.[0].length ?? 0;
  if (lead === text.length) {
    return {
      ok: false,
      error: {
        pos: lines.pos(lead),
        problem: 'the file is empty',
        fix: 'write a JSON object such as {"scenario": "race", ...}',
      },
    };
  }
  const cut = findCut(text);
  const seen = cut === null ? text : text.slice(0, cut.offset);
  /** An event at the cut: the library reached the end of what it was given, not an error of the file. */
  const atCut = (offset: number) => cut !== null && offset >= cut.offset;
  const stack: Open[] = [];
  let expect: Expect = 'value';
  let afterComma = false;
  let root: JNode | undefined;
  let error: [number, string, string] | undefined;

  const fail = (e: [number, string, string]) => {
    if (error === undefined) error = e;
  };
  /** The error at `offset`, told from what the walk expected there. */
  const syntaxError = (offset: number): [number, string, string] => {
    const ch = text[offset];
    const top = stack[stack.length - 1];
    switch (expect) {
      case 'key':
        if (ch === '}' && afterComma) {
          return [offset, "trailing comma before '}'", 'remove the comma after the last field'];
        }
        return [
          offset,
          `expected a field name in double quotes, found ${shown(ch)}`,
          ch === undefined ? "close the object with '}'" : 'write field names as "name"',
        ];
      case 'colon':
        return [
          offset,
          `expected ':' after the field name "${top?.key ?? ''}", found ${shown(ch)}`,
          'put a colon between a field name and its value',
        ];
      case 'value':
        if (ch === ']' && afterComma && top?.node.kind === 'array') {
          return [offset, "trailing comma before ']'", 'remove the comma after the last item'];
        }
        {
          // The library reads `true\` or `null*` as one bad symbol; JSON reads the literal, then the rest.
          const word = /^(true|false|null)(?![\w$])/.exec(text.slice(offset, offset + 6))?.[0];
          if (word !== undefined) {
            expect = stack.length === 0 ? 'end' : 'after';
            afterComma = false;
            return syntaxError(offset + word.length);
          }
        }
        return valueProblem(text, offset);
      case 'after':
        if (top?.node.kind === 'object') {
          return [
            offset,
            `expected ',' or '}' after the value of "${top.key}", found ${shown(ch)}`,
            ch === undefined ? "close the object with '}'" : 'separate fields with commas',
          ];
        }
        return [
          offset,
          `expected ',' or ']' after an array item, found ${shown(ch)}`,
          ch === undefined ? "close the array with ']'" : 'separate items with commas',
        ];
      case 'end':
        return [
          offset,
          `unexpected ${shown(ch)} after the end of the top-level value`,
          'remove it (a file holds one JSON object)',
        ];
    }
  };
  const cutError = (offset: number): [number, string, string] =>
    cut?.kind === 'depth'
      ? [cut.offset, `values nested more than ${MAX_DEPTH} deep`, 'flatten the file']
      : syntaxError(Math.min(offset, cut?.offset ?? offset));
  const complete = (node: JNode) => {
    const top = stack[stack.length - 1];
    if (top === undefined) root = node;
    else if (top.node.kind === 'object')
      top.node.fields.push({ key: top.key, keyPos: top.keyPos, value: node });
    else top.node.items.push(node);
    expect = stack.length === 0 ? 'end' : 'after';
    afterComma = false;
  };
  const open = (node: Open['node']) => {
    stack.push({ node, key: '', keyPos: node.pos });
    expect = node.kind === 'object' ? 'key' : 'value';
    afterComma = false;
  };
  const close = (offset: number, closer: string) => {
    // The library ends an object or array it cannot finish too (before reporting the missing closer):
    // the walk's state at that point says what was expected.
    if (atCut(offset)) fail(cutError(offset));
    else if (text[offset] !== closer) fail(syntaxError(offset));
    const top = stack.pop();
    if (top !== undefined) complete(top.node);
  };

  visit(
    seen,
    {
      onObjectBegin: (offset) => open({ kind: 'object', pos: lines.pos(offset), fields: [] }),
      onObjectEnd: (offset) => close(offset, '}'),
      onArrayBegin: (offset) => open({ kind: 'array', pos: lines.pos(offset), items: [] }),
      onArrayEnd: (offset) => close(offset, ']'),
      onObjectProperty: (name, offset) => {
        const top = stack[stack.length - 1];
        if (top !== undefined) {
          top.key = name;
          top.keyPos = lines.pos(offset);
        }
        expect = 'colon';
      },
      onSeparator: (ch) => {
        if (ch === ':') {
          expect = 'value';
        } else {
          expect = stack[stack.length - 1]?.node.kind === 'object' ? 'key' : 'value';
          afterComma = true;
        }
      },
      onLiteralValue: (value: unknown, offset, length) => {
        const pos = lines.pos(offset);
        if (typeof value === 'number') {
          // The scanner ends a number where its grammar does ("012" is 0 then 12): what follows a
          // number must not continue it.
          const tail = text[offset + length];
          if (tail !== undefined && /[\w.+-]/.test(tail)) fail(numberProblem(text, offset));
          complete({ kind: 'number', pos, value, text: text.slice(offset, offset + length) });
        } else if (typeof value === 'string') {
          complete({ kind: 'string', pos, value });
        } else if (typeof value === 'boolean') {
          complete({ kind: 'boolean', pos, value });
        } else {
          complete({ kind: 'null', pos });
        }
      },
      onError: (code, offset) => {
        if (error !== undefined) return;
        if (atCut(offset)) return fail(cutError(offset));
        switch (code) {
          case ERR.invalidCommentToken:
          case ERR.unexpectedEndOfComment:
            return fail([offset, 'comments are not JSON', 'remove the comment']);
          // A broken string or number where none may stand is reported as what was expected there.
          case ERR.unexpectedEndOfString:
          case ERR.invalidUnicode:
          case ERR.invalidEscapeCharacter:
          case ERR.invalidCharacter:
            if (expect === 'value' || expect === 'key') return fail(stringProblem(text, offset));
            return fail(syntaxError(offset));
          case ERR.unexpectedEndOfNumber:
          case ERR.invalidNumberFormat:
            if (expect === 'value') return fail(numberProblem(text, offset));
            return fail(syntaxError(offset));
        }
        fail(syntaxError(offset));
      },
    },
    { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false },
  );
  if (error === undefined && cut !== null) error = cutError(cut.offset);
  if (error !== undefined) {
    const [offset, problem, fix] = error;
    return { ok: false, error: { pos: lines.pos(offset), problem, fix } };
  }
  if (root === undefined) {
    // The walk saw no value and reported nothing: not a state the library leaves, but data all the same.
    return { ok: false, error: { pos: lines.pos(0), ...rest(valueProblem(text, 0)) } };
  }
  return { ok: true, root };
}

function rest(e: [number, string, string]): { problem: string; fix: string } {
  return { problem: e[1], fix: e[2] };
}
