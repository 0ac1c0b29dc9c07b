// Source scanning shared by the lint tests: blank out comments and string contents (so prose and
// messages do not match) and list the .ts files of a directory tree.

import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Replace comments and string/template contents with spaces, keeping newlines (so lines still match). */
export function blankCommentsAndStrings(src: string): string {
  const out = src.split('');
  const stack: number[] = []; // brace depth of each open `${ … }` inside a template
  let mode: 'code' | 'line' | 'block' | 'sq' | 'dq' | 'tpl' = 'code';
  const blank = (i: number): void => {
    if (out[i] !== '\n') out[i] = ' ';
  };
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    const next = src[i + 1];
    switch (mode) {
      case 'code':
        if (c === '/' && next === '/') mode = 'line';
        else if (c === '/' && next === '*') mode = 'block';
        else if (c === "'") mode = 'sq';
        else if (c === '"') mode = 'dq';
        else if (c === '`') mode = 'tpl';
        else if (c === '{' && stack.length > 0) stack[stack.length - 1]! += 1;
        else if (c === '}' && stack.length > 0) {
          if (stack[stack.length - 1] === 0) {
            stack.pop();
            mode = 'tpl';
          } else stack[stack.length - 1]! -= 1;
        }
        if (mode === 'line' || mode === 'block') blank(i);
        break;
      case 'line':
        if (c === '\n') mode = 'code';
        else blank(i);
        break;
      case 'block':
        blank(i);
        if (c === '*' && next === '/') {
          blank(i + 1);
          i += 1;
          mode = 'code';
        }
        break;
      case 'sq':
      case 'dq':
        if (c === '\\') {
          blank(i);
          blank(i + 1);
          i += 1;
        } else if ((mode === 'sq' && c === "'") || (mode === 'dq' && c === '"') || c === '\n') mode = 'code';
        else blank(i);
        break;
      case 'tpl':
        if (c === '\\') {
          blank(i);
          blank(i + 1);
          i += 1;
        } else if (c === '`') mode = 'code';
        else if (c === '$' && next === '{') {
          stack.push(0);
          mode = 'code';
          i += 1;
        } else blank(i);
        break;
    }
  }
  return out.join('');
}

/** Every .ts file under `dir`, recursively; none when it does not exist. */
export function tsFiles(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' ? [] : tsFiles(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}
