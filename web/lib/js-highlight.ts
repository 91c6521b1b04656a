/**
 * Classifies the JavaScript inside FILTER/HAVING/SINK for colouring, with acorn's tokenizer (the
 * parser src/lang reads the functions with), so strings, templates, regular expressions and
 * divisions are told apart as JavaScript does. It only colours. Code being edited is often
 * invalid: where acorn stops, the rest of the line is one piece (a string when it opens with a
 * quote) and tokenizing starts again on the next line.
 */
import { tokenizer, tokTypes, type Token } from 'acorn';

export type JsKind = 'js-keyword' | 'js-string' | 'js-number' | 'js-comment' | 'js-utils' | 'js-ident' | 'js-punct' | 'js-regex' | 'plain';

export interface JsPiece {
  start: number;
  end: number;
  kind: JsKind;
}

/** Words acorn reads as names that read as keywords to the user. */
const CONTEXTUAL_KEYWORDS = new Set(['undefined', 'let', 'of', 'async', 'await', 'yield', 'static', 'get', 'set']);

function kindOf(token: Token, text: string): JsKind {
  const type = token.type;
  if (type === tokTypes.name) return text === 'utils' ? 'js-utils' : CONTEXTUAL_KEYWORDS.has(text) ? 'js-keyword' : 'js-ident';
  if (type.keyword) return 'js-keyword';
  if (type === tokTypes.string || type === tokTypes.template || type === tokTypes.backQuote || type === tokTypes.invalidTemplate) return 'js-string';
  if (type === tokTypes.num) return 'js-number';
  if (type === tokTypes.regexp) return 'js-regex';
  if (type === tokTypes.privateId) return 'js-ident';
  return 'js-punct';
}

type Push = (start: number, end: number, kind: JsKind) => void;

/** Pieces of `code`, with offsets shifted by `base`. Consecutive pieces cover the text. */
export function jsPieces(code: string, base = 0): JsPiece[] {
  const pieces: JsPiece[] = [];
  let covered = 0;
  const add = (start: number, end: number, kind: JsKind) => {
    const prev = pieces[pieces.length - 1];
    // Runs of punctuation and of blanks are one piece each.
    if (prev && prev.kind === kind && (kind === 'plain' || kind === 'js-punct')) prev.end = base + end;
    else pieces.push({ start: base + start, end: base + end, kind });
    covered = end;
  };
  const push: Push = (start, end, kind) => {
    if (end <= start) return;
    if (start > covered) add(covered, start, 'plain');
    add(start, end, kind);
  };
  for (let from = 0; from < code.length; ) from = tokenizeFrom(code, from, push);
  push(covered, code.length, 'plain');
  return pieces;
}

/**
 * Tokenizes `code` from `from` to its end, or to where acorn gives up; then classifies the rest of
 * that line and returns where to go on (the end of the code when it finished).
 */
function tokenizeFrom(code: string, from: number, push: Push): number {
  const source = code.slice(from);
  // acorn reports comments apart from tokens, in order.
  const comments: [number, number][] = [];
  const flushComments = (before: number) => {
    while (comments.length && comments[0]![0] < before) {
      const [start, end] = comments.shift()!;
      push(from + start, from + end, 'js-comment');
    }
  };
  let reached = 0;
  try {
    const tokens = tokenizer(source, { ecmaVersion: 'latest', allowReturnOutsideFunction: true, onComment: (_block, _text, start, end) => comments.push([start, end]) });
    for (const token of tokens) {
      flushComments(token.start);
      push(from + token.start, from + token.end, kindOf(token, source.slice(token.start, token.end)));
      reached = token.end;
    }
    flushComments(Infinity);
    return code.length;
  } catch {
    flushComments(Infinity);
    // The token acorn could not finish begins after the last whole one (past any blanks).
    const at = from + reached + /^\s*/.exec(source.slice(reached))![0].length;
    if (at >= code.length) return code.length;
    if (code.startsWith('/*', at)) {
      push(at, code.length, 'js-comment');
      return code.length;
    }
    const lineEnd = code.indexOf('\n', at);
    const stop = lineEnd < 0 ? code.length : lineEnd;
    push(at, stop, /['"`]/.test(code[at]!) ? 'js-string' : 'plain');
    return Math.max(stop, at + 1);
  }
}
