/**
 * A small scanner that classifies the JavaScript inside FILTER/HAVING/SINK for colouring. It only
 * colours: the real reading of the function is acorn's, in src/lang.
 */

export type JsKind = 'js-keyword' | 'js-string' | 'js-number' | 'js-comment' | 'js-utils' | 'js-ident' | 'js-punct' | 'js-regex' | 'plain';

export interface JsPiece {
  start: number;
  end: number;
  kind: JsKind;
}

const KEYWORDS = new Set(
  'function return var let const if else for while do break continue new typeof instanceof in of true false null undefined this switch case default throw try catch finally async await yield class extends delete void'.split(' '),
);

const TOKEN =
  /(\/\/[^\n]*|\/\*[\s\S]*?(?:\*\/|$))|('(?:[^'\\\n]|\\.)*'?|"(?:[^"\\\n]|\\.)*"?|`(?:[^`\\]|\\[\s\S])*`?)|(\b\d[\d_]*(?:\.\d+)?(?:[eE][+-]?\d+)?\b|\b0[xX][\da-fA-F]+\b)|([A-Za-z_$][\w$]*)|(\s+)|([^\sA-Za-z_$\d'"`])/gy;

/** Pieces of `code`, with offsets shifted by `base`. Consecutive pieces cover the text. */
export function jsPieces(code: string, base = 0): JsPiece[] {
  const out: JsPiece[] = [];
  TOKEN.lastIndex = 0;
  let prevSignificant: JsKind | 'start' = 'start';
  let prevText = '';
  while (TOKEN.lastIndex < code.length) {
    const at = TOKEN.lastIndex;
    const m = TOKEN.exec(code);
    if (!m) {
      out.push({ start: base + at, end: base + at + 1, kind: 'plain' });
      TOKEN.lastIndex = at + 1;
      continue;
    }
    let kind: JsKind;
    let end = at + m[0].length;
    if (m[1]) kind = 'js-comment';
    else if (m[2]) kind = 'js-string';
    else if (m[3]) kind = 'js-number';
    else if (m[4]) kind = m[4] === 'utils' ? 'js-utils' : KEYWORDS.has(m[4]) ? 'js-keyword' : 'js-ident';
    else if (m[5]) kind = 'plain';
    else {
      kind = 'js-punct';
      // A regular expression literal: after an operator, '(' ',' or a keyword like return.
      const regexAllowed =
        prevSignificant === 'start' ||
        (prevSignificant === 'js-punct' && !/[)\]}]$/.test(prevText)) ||
        (prevSignificant === 'js-keyword' && /^(return|typeof|in|of|case|delete|void|throw|new)$/.test(prevText));
      if (m[6] === '/' && regexAllowed) {
        const re = /\/(?:[^/\\\n[]|\\.|\[(?:[^\]\\\n]|\\.)*\])+\/[a-z]*/y;
        re.lastIndex = at;
        const r = re.exec(code);
        if (r) {
          kind = 'js-regex';
          end = at + r[0].length;
          TOKEN.lastIndex = end;
        }
      }
    }
    const last = out[out.length - 1];
    if (last && last.kind === kind && (kind === 'plain' || kind === 'js-punct')) last.end = base + end;
    else out.push({ start: base + at, end: base + end, kind });
    if (kind !== 'plain' && kind !== 'js-comment') {
      prevSignificant = kind;
      prevText = code.slice(at, end);
    }
  }
  return out;
}
