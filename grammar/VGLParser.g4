/*
 * VGL parser: a file holds rules; a rule is `RULE "name"` followed by clauses.
 *
 * Clauses are parsed in any order and number; src/lang/parse.ts checks the order, the required
 * clauses and duplicates, so those errors get precise messages instead of generic syntax errors.
 * A new clause is one more alternative of `clause` and one rule below, in the same style.
 */
parser grammar VGLParser;

options { tokenVocab = VGLLexer; }

vglFile : vglRule* EOF ;

vglRule : RULE ruleName clause* ;

ruleName : STRING ;

clause
    : sourcesClause
    | filterClause
    | iocClause
    | usingClause
    | aggregateClause
    | withinClause
    | sortClause
    | havingClause
    | stateMachineClause
    | timeoutClause
    | resetClause
    | sinkClause
    | suppressClause
    ;

// SOURCES kind = "auth", host = ["a", 'b']  (selectors are ANDed)
sourcesClause : SOURCES selector (COMMA selector)* ;
selector      : field EQ selectorValues ;
selectorValues
    : STRING                                                # singleValue
    | LBRACKET (STRING (COMMA STRING)* COMMA?)? RBRACKET   # valueList
    ;

// FILTER function (event) { ... }
filterClause : FILTER jsFunction ;

// IOC FILTERS in bad_ips(source.ip), not in allow(user)  (terms are ANDed)
iocClause : IOC FILTERS iocTerm ((COMMA | AND)? iocTerm)* ;
iocTerm   : NOT? IN listName LPAREN field RPAREN ;
listName  : identifier | STRING ;

// USING timestamp
usingClause : USING field ;

// AGGREGATE BY user, server
aggregateClause : AGGREGATE BY field (COMMA field)* ;

// WITHIN 1:min, 10:sec  (length, slide)
withinClause : WITHIN duration COMMA duration ;
duration     : MINUS? NUMBER COLON identifier ;

// SORT BY timestamp DESC
sortClause : SORT BY field (ASC | DESC)? ;

// HAVING function (events) { ... }
havingClause : HAVING jsFunction ;

// STATE MACHINE BY sourceAddress ON type
//   INITIAL: SYN -> W, "4625" -> X;
//   W: ACK -> TERM;
// Keys, then the field whose value is the event, then one line per state (INITIAL starts, TERM ends).
stateMachineClause : STATE MACHINE BY field (COMMA field)* ON field stateLine+ ;
stateLine          : stateName COLON transition (COMMA transition)* SEMI ;
transition         : eventName ARROW stateName ;
stateName          : identifier | STRING ;
eventName          : identifier | STRING | NUMBER ;

// TIMEOUT 5:min  (with STATE MACHINE: a key idle this long is forgotten)
timeoutClause : TIMEOUT duration ;

// RESET ON ALERT  (with STATE MACHINE: a key goes back to INITIAL after each alert)
resetClause : RESET ON ALERT ;

// SINK function (alert) { ... }
sinkClause : SINK jsFunction ;

// SUPPRESS FOR 10:min BY source.ip  (after SINK: one alert per period and key, again when the count grows)
suppressClause : SUPPRESS FOR duration (BY field (COMMA field)*)? ;

jsFunction : JS_FUNCTION ;

// A field: an identifier, a dotted path (source.ip) or a quoted name ("user name").
field     : fieldPath | STRING ;
fieldPath : identifier (DOT pathPart)* ;
pathPart  : identifier | anyKeyword | NUMBER ;

identifier  : IDENT | softKeyword ;
softKeyword
    : RULE | FILTERS | BY | IN | NOT | AND | ASC | DESC
    | STATE | MACHINE | ON | INITIAL | TERM | TIMEOUT | RESET | ALERT
    | SUPPRESS | FOR
    ;
anyKeyword  : SOURCES | FILTER | IOC | USING | AGGREGATE | WITHIN | SORT | HAVING | SINK ;
