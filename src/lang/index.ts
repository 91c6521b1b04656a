/**
 * The VGL language front end: parse rule files into ASTs, check them, tokenize for editors.
 * This is the only entry point of src/lang; everything else in the folder is internal.
 */

// Parsing and checking
export { MAX_VGL_TEXT_CHARS, parseRules } from './parse.js';
export type { ParseResult } from './parse.js';
export { checkRules, compileCheck, isReservedRuleName } from './check.js';
export type { CheckContext } from './check.js';

// Editor support
export { tokenize } from './lexer.js';
export type { VglToken, VglTokenType } from './lexer.js';

// Diagnostics
export { caretExcerpt, formatDiagnostic } from './diagnostic.js';
export type { Diagnostic, Severity } from './diagnostic.js';

// The rule AST
export type {
  Duration,
  FieldRef,
  IocTerm,
  JsFunction,
  MachineState,
  Position,
  RuleAst,
  SortBy,
  SourceSelector,
  Span,
  StateMachine,
  StateTransition,
  TimeUnit,
  Within,
} from './ast.js';
