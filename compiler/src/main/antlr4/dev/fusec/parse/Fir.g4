// The fusec IR text (.fir): one graph of named tensor operations. See README "IR reference".
grammar Fir;

file      : graph EOF ;
graph     : 'graph' name '(' params? ')' '->' '(' params? ')' '{' stmt* ret '}' ;
params    : param (',' param)* ','? ;
param     : name ':' type ('=' bind=name '(' STRING ')')? ;
type      : dtype=name '[' (dim (',' dim)*)? ']' ;
dim       : dimFactor ('*' dimFactor)* ;
dimFactor : INT | name ;

stmt      : name (',' name)* '=' expr ;
ret       : 'return' name (',' name)* ;

expr      : op=name '(' (arg (',' arg)*)? ')'   # call
          | name                                # ref
          ;
arg       : name '=' attrValue                  # attrArg
          | expr                                # operandArg
          ;
attrValue : '-'? INT                            # intAttr
          | '-'? FLOAT                          # floatAttr
          | dim                                 # dimAttr
          | '[' (attrValue (',' attrValue)*)? ']' # listAttr
          ;

// Keywords are ordinary names where a name is expected, so a value may be called `graph`.
name      : ID | 'graph' | 'return' ;

ID        : [A-Za-z_] [A-Za-z0-9_]* ;
FLOAT     : [0-9]+ '.' [0-9]* EXP? | '.' [0-9]+ EXP? | [0-9]+ EXP ;
INT       : [0-9]+ ;
fragment EXP : [eE] [+-]? [0-9]+ ;
// A weight's checkpoint name (WeightRef says which characters it may hold).
STRING    : '"' ~["\\\r\n]* '"' ;
COMMENT   : '#' ~[\r\n]* -> skip ;
WS        : [ \t\r\n]+ -> skip ;
// Anything else is one bad character, reported by the parser with its position.
BAD       : . ;
