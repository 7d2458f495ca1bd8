package dev.fusec.parse;

import dev.fusec.ir.Attr;
import dev.fusec.ir.CompileError;
import dev.fusec.ir.DType;
import dev.fusec.ir.Dim;
import dev.fusec.ir.Graph;
import dev.fusec.ir.Node;
import dev.fusec.ir.OpSyntax;
import dev.fusec.ir.Param;
import dev.fusec.ir.Shape;
import dev.fusec.ir.SourcePos;
import dev.fusec.ir.TensorType;
import dev.fusec.ir.WeightRef;
import dev.fusec.runtime.BoundedInput;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.antlr.v4.runtime.BaseErrorListener;
import org.antlr.v4.runtime.CharStreams;
import org.antlr.v4.runtime.CommonTokenStream;
import org.antlr.v4.runtime.RecognitionException;
import org.antlr.v4.runtime.Recognizer;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.misc.ParseCancellationException;

/**
 * Reads IR text into a {@link Graph}. Nested operands become nodes of their own named {@code op_N},
 * so the graph is flat and the printer's output parses back to the same graph. The first problem
 * found is thrown as a {@link CompileError}; the ANTLR parse tree never leaves this package.
 */
public final class IrParser {
    /** Deeper nesting than this is refused before parsing, so no input can exhaust the stack. */
    static final int MAX_NESTING = 256;
    /** Files larger than this are refused: a graph is a page of text, not a data file. */
    static final long MAX_BYTES = 16L << 20;

    private IrParser() {}

    /**
     * Reads and parses a file ({@code -}: standard input) through the bounded reader, so a FIFO or
     * a device such as {@code /dev/zero} is refused as fast as a large file; a missing or unreadable
     * file is a CompileError at 1:1.
     */
    public static Graph parseFile(Path path) {
        String file = path.toString();
        byte[] bytes;
        try {
            bytes = BoundedInput.readAll(path, MAX_BYTES, "an IR file");
        } catch (NoSuchFileException missing) {
            throw new CompileError(SourcePos.startOf(file), "no such file");
        } catch (BoundedInput.TooLarge e) {
            throw new CompileError(SourcePos.startOf(file), "file is " + e.getMessage());
        } catch (IOException e) {
            String why = e.getMessage() != null && e.getMessage().equals("is a directory") ? "is a directory, not an IR file"
                    : "cannot read file: " + e.getMessage();
            throw new CompileError(SourcePos.startOf(file), why);
        }
        return parse(file, bytes);
    }

    /** Parses bytes that should be UTF-8 IR text. */
    public static Graph parse(String file, byte[] bytes) {
        return parse(file, decode(file, bytes));
    }

    public static Graph parse(String file, String text) {
        FirLexer lexer = new FirLexer(CharStreams.fromString(text, file));
        ThrowingListener listener = new ThrowingListener(file);
        lexer.removeErrorListeners();
        lexer.addErrorListener(listener);
        CommonTokenStream tokens = new CommonTokenStream(lexer);
        tokens.fill();
        checkTokens(file, tokens.getTokens());
        FirParser parser = new FirParser(tokens);
        // The whole tree is held until the graph is built: trimmed, it takes a fifth less (about
        // 1.5 KB a statement instead of 1.8).
        parser.setTrimParseTree(true);
        parser.removeErrorListeners();
        parser.addErrorListener(listener);
        FirParser.FileContext tree;
        try {
            tree = parser.file();
        } catch (ParseCancellationException e) {
            throw new CompileError(SourcePos.startOf(file), "syntax error");
        } catch (StackOverflowError e) {
            throw new CompileError(SourcePos.startOf(file), "input nests too deeply");
        }
        return new GraphBuilder(file).build(tree.graph());
    }

    private static String decode(String file, byte[] bytes) {
        int line = 1;
        int col = 1;
        for (byte b : bytes) {
            if (b == 0) {
                throw new CompileError(new SourcePos(file, line, col), "binary data (a NUL byte); not an IR text file");
            }
            if (b == '\n') {
                line++;
                col = 1;
            } else if ((b & 0xC0) != 0x80) {
                col++;
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            int bad = firstInvalidUtf8(bytes);
            int l = 1;
            int c = 1;
            for (int i = 0; i < bad; i++) {
                if (bytes[i] == '\n') {
                    l++;
                    c = 1;
                } else if ((bytes[i] & 0xC0) != 0x80) {
                    c++;
                }
            }
            throw new CompileError(new SourcePos(file, l, c), "invalid UTF-8; not an IR text file");
        }
    }

    private static int firstInvalidUtf8(byte[] bytes) {
        var decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        var out = java.nio.CharBuffer.allocate(bytes.length + 1);
        var result = decoder.decode(in, out, true);
        return result.isError() ? in.position() : bytes.length;
    }

    /** Bad characters and runaway nesting are found on the token stream, before the parser recurses. */
    private static void checkTokens(String file, List<Token> tokens) {
        int depth = 0;
        for (Token t : tokens) {
            if (t.getType() == FirLexer.BAD) {
                String shown = t.getText().codePoints().allMatch(cp -> cp >= 0x20 && cp < 0x7f)
                        ? "'" + t.getText() + "'" : String.format("U+%04X", t.getText().codePointAt(0));
                throw new CompileError(pos(file, t), "unexpected character " + shown);
            }
            String s = t.getText();
            if ("(".equals(s) || "[".equals(s)) {
                if (++depth > MAX_NESTING) {
                    throw new CompileError(pos(file, t), "nesting deeper than " + MAX_NESTING + " levels");
                }
            } else if (")".equals(s) || "]".equals(s)) {
                depth = Math.max(0, depth - 1);
            }
        }
    }

    static SourcePos pos(String file, Token t) {
        return new SourcePos(file, t.getLine(), t.getCharPositionInLine() + 1);
    }

    /** Turns the first syntax error into a CompileError with a short message. */
    private static final class ThrowingListener extends BaseErrorListener {
        private final String file;

        ThrowingListener(String file) {
            this.file = file;
        }

        @Override
        public void syntaxError(Recognizer<?, ?> recognizer, Object offending, int line, int col, String msg,
                                RecognitionException e) {
            String text = msg.replace("<EOF>", "end of file");
            if (offending instanceof Token t && t.getType() == Token.EOF) {
                text = "unexpected end of file" + expecting(text);
            }
            throw new CompileError(new SourcePos(file, line, col + 1), text);
        }

        /** What ANTLR wanted: "expecting {...}", or the one token of "missing '}' at ..." (else it is lost). */
        private static String expecting(String msg) {
            int i = msg.indexOf("expecting");
            if (i >= 0) {
                return "; " + msg.substring(i);
            }
            int at = msg.lastIndexOf(" at ");
            return msg.startsWith("missing ") && at > 0 ? "; expecting " + msg.substring("missing ".length(), at) : "";
        }
    }

    /** Walks the parse tree: names resolved in order, nested calls flattened, positions kept. */
    private static final class GraphBuilder {
        private final String file;
        private final Set<String> defined = new HashSet<>();
        private final Set<String> taken = new HashSet<>();
        private final List<Node> nodes = new ArrayList<>();
        private int tempCounter;

        GraphBuilder(String file) {
            this.file = file;
        }

        Graph build(FirParser.GraphContext g) {
            collectNames(g);
            List<Param> inputs = params(g.params(0));
            for (Param p : inputs) {
                if (!defined.add(p.name())) {
                    throw new CompileError(p.pos(), "input '" + p.name() + "' is declared twice");
                }
            }
            for (FirParser.StmtContext s : g.stmt()) {
                statement(s);
            }
            List<Param> outputs = params(g.params(1));
            for (Param p : outputs) {
                if (p.weight().isPresent()) {
                    throw new CompileError(p.pos(), "output '" + p.name() + "' cannot be bound to a weight; only inputs can");
                }
            }
            List<FirParser.NameContext> returned = g.ret().name();
            for (FirParser.NameContext r : returned) {
                if (!defined.contains(r.getText())) {
                    throw new CompileError(pos(r), "return of undefined value '" + r.getText() + "'");
                }
            }
            List<String> declared = outputs.stream().map(Param::name).toList();
            List<String> names = returned.stream().map(FirParser.NameContext::getText).toList();
            if (!declared.equals(names)) {
                throw new CompileError(pos(g.ret()), "return " + String.join(", ", names)
                        + " does not match the declared outputs (" + String.join(", ", declared) + ")");
            }
            return new Graph(g.name().getText(), inputs, nodes, outputs, pos(g));
        }

        private void collectNames(FirParser.GraphContext g) {
            for (int i = 0; i < g.params().size(); i++) {
                for (FirParser.ParamContext p : g.params(i).param()) {
                    taken.add(p.name(0).getText());
                }
            }
            for (FirParser.StmtContext s : g.stmt()) {
                s.name().forEach(n -> taken.add(n.getText()));
            }
        }

        private List<Param> params(FirParser.ParamsContext ps) {
            List<Param> out = new ArrayList<>();
            if (ps != null) {
                for (FirParser.ParamContext p : ps.param()) {
                    out.add(new Param(p.name(0).getText(), type(p.type()), pos(p.name(0)), weight(p)));
                }
            }
            return out;
        }

        /** {@code = weight("NAME")} after an input's type, checked by {@link WeightRef#problem}. */
        private Optional<WeightRef> weight(FirParser.ParamContext p) {
            if (p.STRING() == null) {
                return Optional.empty();
            }
            if (!p.bind.getText().equals("weight")) {
                throw new CompileError(pos(p.bind), "an input is bound with = weight(\"NAME\"), not " + p.bind.getText() + "(...)");
            }
            if (!type(p.type()).shape().dims().stream().allMatch(Dim::isStatic)) {
                throw new CompileError(pos(p.name(0)), "input '" + p.name(0).getText() + "' is bound to a weight, so its dims must be numbers");
            }
            String quoted = p.STRING().getText();
            String text = quoted.substring(1, quoted.length() - 1);
            WeightRef.problem(text).ifPresent(why -> {
                throw new CompileError(IrParser.pos(file, p.STRING().getSymbol()), why);
            });
            return Optional.of(new WeightRef(text));
        }

        private TensorType type(FirParser.TypeContext t) {
            String d = t.dtype.getText();
            DType dtype = DType.parse(d).orElseThrow(() -> new CompileError(pos(t),
                    "unknown dtype '" + d + "'; expected f32, bf16, f16 or f8e4m3"));
            if (t.dim().size() > Shape.MAX_RANK) {
                throw new CompileError(pos(t), "type has " + t.dim().size() + " dims; at most " + Shape.MAX_RANK + " are supported");
            }
            List<Dim> dims = new ArrayList<>();
            for (FirParser.DimContext dc : t.dim()) {
                dims.add(dim(dc));
            }
            return new TensorType(dtype, new Shape(dims));
        }

        private Dim dim(FirParser.DimContext dc) {
            if (dc.dimFactor().size() > Dim.MAX_FACTORS) {
                throw new CompileError(pos(dc), "dim has " + dc.dimFactor().size() + " factors; at most "
                        + Dim.MAX_FACTORS + " are supported");
            }
            Dim d = Dim.of(1);
            for (FirParser.DimFactorContext f : dc.dimFactor()) {
                Dim factor = f.INT() != null ? Dim.of(integer(f.INT().getSymbol())) : Dim.sym(f.name().getText());
                d = d.times(factor).orElseThrow(() -> new CompileError(pos(dc), "dims overflow: " + dc.getText()));
            }
            return d;
        }

        private long integer(Token t) {
            try {
                return Long.parseLong(t.getText());
            } catch (NumberFormatException e) {
                throw new CompileError(IrParser.pos(file, t), "integer " + t.getText() + " is too large");
            }
        }

        private void statement(FirParser.StmtContext s) {
            List<String> results = new ArrayList<>();
            for (FirParser.NameContext n : s.name()) {
                results.add(n.getText());
            }
            if (!(s.expr() instanceof FirParser.CallContext call)) {
                throw new CompileError(pos(s.expr()), "expected an op call such as silu(" + s.expr().getText()
                        + "); plain copies are not statements");
            }
            Node node = callNode(call, results);
            // Bound twice in one statement is checked first: the loop below would call it a redefinition.
            for (int i = 0; i < results.size(); i++) {
                for (int j = 0; j < i; j++) {
                    if (results.get(i).equals(results.get(j))) {
                        throw new CompileError(pos(s.name(i)), "'" + results.get(i) + "' is bound twice");
                    }
                }
            }
            for (int i = 0; i < results.size(); i++) {
                if (!defined.add(results.get(i))) {
                    throw new CompileError(pos(s.name(i)), "redefinition of '" + results.get(i) + "'");
                }
            }
            nodes.add(node);
        }

        /** Builds a call; nested calls become nodes first. */
        private Node callNode(FirParser.CallContext call, List<String> results) {
            List<String> operands = new ArrayList<>();
            List<Attr.Named> attrs = new ArrayList<>();
            for (FirParser.ArgContext arg : call.arg()) {
                switch (arg) {
                    case FirParser.AttrArgContext a -> attrs.add(new Attr.Named(a.name().getText(), attr(a.attrValue()), pos(a)));
                    case FirParser.OperandArgContext o -> {
                        if (!attrs.isEmpty()) {
                            throw new CompileError(pos(o), "operands must come before attributes");
                        }
                        operands.add(operand(o.expr()));
                    }
                    default -> throw new IllegalStateException("unknown argument form");
                }
            }
            SourcePos where = pos(call.op);
            return new Node(results, OpSyntax.build(call.op.getText(), operands, attrs, results.size(), where), where);
        }

        private String operand(FirParser.ExprContext e) {
            if (e instanceof FirParser.RefContext ref) {
                String name = ref.name().getText();
                if (!defined.contains(name)) {
                    String hint = taken.contains(name) ? " (it is defined later; values must be defined before use)" : "";
                    throw new CompileError(pos(ref), "use of undefined value '" + name + "'" + hint);
                }
                return name;
            }
            FirParser.CallContext call = (FirParser.CallContext) e;
            String temp = freshName(call.op.getText());
            Node n = callNode(call, List.of(temp));
            defined.add(temp);
            nodes.add(n);
            return temp;
        }

        private String freshName(String op) {
            String name;
            do {
                name = op + "_" + (++tempCounter);
            } while (taken.contains(name));
            taken.add(name);
            return name;
        }

        private Attr attr(FirParser.AttrValueContext v) {
            return switch (v) {
                case FirParser.IntAttrContext i -> {
                    long value = integer(i.INT().getSymbol());
                    yield new Attr.Int(i.getChild(0).getText().equals("-") ? -value : value);
                }
                case FirParser.FloatAttrContext f -> {
                    double value = Double.parseDouble(f.FLOAT().getText());
                    yield new Attr.Real(f.getChild(0).getText().equals("-") ? -value : value);
                }
                case FirParser.DimAttrContext d -> {
                    if (d.dim().dimFactor().size() == 1 && d.dim().dimFactor(0).name() != null) {
                        yield new Attr.Word(d.dim().getText());
                    }
                    yield new Attr.DimValue(dim(d.dim()));
                }
                case FirParser.ListAttrContext l -> new Attr.ListOf(l.attrValue().stream().map(this::attr).toList());
                default -> throw new IllegalStateException("unknown attribute form");
            };
        }

        private SourcePos pos(org.antlr.v4.runtime.ParserRuleContext ctx) {
            return IrParser.pos(file, ctx.getStart());
        }
    }
}
