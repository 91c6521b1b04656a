/*
 * VGL lexer: the tokens of the Vigil rule language.
 *
 * Keywords are case-insensitive. JavaScript functions (after FILTER, HAVING and SINK) are not
 * described here: src/lang/lexer.ts subclasses this lexer and emits one JS_FUNCTION token per
 * function, read with acorn. Regenerate with `npm run grammar` and commit src/lang/generated.
 *
 * Adding a clause (e.g. SUPPRESS FOR n:unit BY f; STATE MACHINE is the worked example):
 * - add its keywords below; keep every keyword that does not have to start a clause soft, i.e.
 *   listed in `softKeyword` in VGLParser.g4, so it stays usable as a bare field name. A clause
 *   keyword that is a common field name (`state`, `timeout`) is soft too when the clause cannot
 *   be mistaken for a field: no clause starts with a bare field name, so `STATE MACHINE` after a
 *   clause is unambiguous; the parser tells them apart by the next token;
 * - add the clause rule and an alternative of `clause` in VGLParser.g4;
 * - add a row to CLAUSES (order, label) and a case to RuleBuilder in src/lang/parse.ts, and the
 *   keyword to CLAUSE_LINE / CLAUSE_START (error resynchronisation) in src/lang/lexer.ts;
 * - run `npm run grammar` and commit src/lang/generated.
 */
lexer grammar VGLLexer;

options { caseInsensitive = true; }

tokens { JS_FUNCTION }

// Clause keywords (hard: not usable as bare field names, except RULE).
RULE      : 'rule';
SOURCES   : 'sources';
FILTER    : 'filter';
IOC       : 'ioc';
USING     : 'using';
AGGREGATE : 'aggregate';
WITHIN    : 'within';
SORT      : 'sort';
HAVING    : 'having';
SINK      : 'sink';

// Soft keywords: only meaningful inside a clause; usable as field names.
FILTERS : 'filters';
BY      : 'by';
IN      : 'in';
NOT     : 'not';
AND     : 'and';
ASC     : 'asc';
DESC    : 'desc';

// STATE MACHINE BY f ON f  state lines  TIMEOUT n:unit  RESET ON ALERT. All soft: `state`,
// `timeout`, `reset`, `on`… are common field names in security events and stay usable bare.
STATE   : 'state';
MACHINE : 'machine';
ON      : 'on';
INITIAL : 'initial';
TERM    : 'term';
TIMEOUT : 'timeout';
RESET   : 'reset';
ALERT   : 'alert';

// SUPPRESS FOR n:unit [BY f, …]. Soft as well: `suppress` and `for` may be field names.
SUPPRESS : 'suppress';
FOR      : 'for';

ARROW    : '->';
SEMI     : ';';
EQ       : '=';
COMMA    : ',';
COLON    : ':';
DOT      : '.';
MINUS    : '-';
LPAREN   : '(';
RPAREN   : ')';
LBRACKET : '[';
RBRACKET : ']';

NUMBER : [0-9]+ ('.' [0-9]+)?;

IDENT : [a-z_$@] [a-z0-9_$@]*;

STRING
    : '"' (~["\\\r\n] | '\\' .)* '"'
    | '\'' (~['\\\r\n] | '\\' .)* '\''
    ;

// A string that reaches the end of its line; the lexer subclass reports it and hands it on as STRING.
UNTERMINATED_STRING
    : '"' (~["\\\r\n] | '\\' .)*
    | '\'' (~['\\\r\n] | '\\' .)*
    ;

LINE_COMMENT  : '//' ~[\r\n]* -> channel(HIDDEN);
BLOCK_COMMENT : '/*' .*? '*/' -> channel(HIDDEN);
// A block comment that never ends; reported by the lexer subclass.
UNTERMINATED_COMMENT : '/*' (~'*' | '*'+ ~[*/])* '*'* EOF -> channel(HIDDEN);

WS : [ \t\r\n\f\u00a0\ufeff\u2028\u2029]+ -> skip;

// Anything else; the parser reports it where it does not fit.
ERROR_CHAR : .;
