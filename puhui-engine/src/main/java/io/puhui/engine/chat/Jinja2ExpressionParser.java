// Jinjava's expression parser, corrected where its grammar departs from Jinja2 in ways chat templates rely on.
// Each override below names the Jinja2 construct it restores; everything else is Jinjava's own parsing.
package io.puhui.engine.chat;

import com.hubspot.jinjava.el.ExtendedSyntaxBuilder;
import com.hubspot.jinjava.el.ext.AstNamedParameter;
import com.hubspot.jinjava.el.ext.ExtendedParser;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import java.util.ArrayList;
import java.util.List;
import jinjava.de.odysseus.el.tree.Bindings;
import jinjava.de.odysseus.el.tree.impl.Builder;
import jinjava.de.odysseus.el.tree.impl.Parser;
import jinjava.de.odysseus.el.tree.impl.Scanner;
import jinjava.de.odysseus.el.tree.impl.Scanner.ScanException;
import jinjava.de.odysseus.el.tree.impl.Scanner.Symbol;
import jinjava.de.odysseus.el.tree.impl.ast.AstBinary;
import jinjava.de.odysseus.el.tree.impl.ast.AstDot;
import jinjava.de.odysseus.el.tree.impl.ast.AstIdentifier;
import jinjava.de.odysseus.el.tree.impl.ast.AstNode;
import jinjava.de.odysseus.el.tree.impl.ast.AstParameters;
import jinjava.de.odysseus.el.tree.impl.ast.AstRightValue;
import jinjava.de.odysseus.el.tree.impl.ast.AstUnary;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELException;

final class Jinja2ExpressionParser extends ExtendedParser {

    /** Hands Jinjava's expression factory this parser instead of its own. */
    static final class SyntaxBuilder extends ExtendedSyntaxBuilder {
        private static final long serialVersionUID = 1L;

        SyntaxBuilder() {
            super(Builder.Feature.METHOD_INVOCATIONS, Builder.Feature.VARARGS);
        }

        @Override
        protected Parser createParser(String expression) {
            return new Jinja2ExpressionParser(this, expression);
        }
    }

    Jinja2ExpressionParser(Builder context, String input) {
        super(context, input);
    }

    /** "and" over "not" operands: Jinja2's "not" binds looser than comparisons, so "not a == b" is "not (a == b)". */
    @Override
    protected AstNode and(boolean required) throws ScanException, ParseException {
        AstNode v = not(required);
        if (v == null) {
            return null;
        }
        while (true) {
            Scanner.Token token = getToken();
            if (token.getSymbol() == Symbol.AND) {
                consumeToken();
                v = createAstBinary(v, not(true), AstBinary.AND);
            } else if (token.getSymbol() == Symbol.EXTENSION
                    && getExtensionHandler(token).getExtensionPoint() == ExtensionPoint.AND) {
                v = getExtensionHandler(consumeToken()).createAstNode(v, not(true));
            } else {
                return v;
            }
        }
    }

    private AstNode not(boolean required) throws ScanException, ParseException {
        if (getToken().getSymbol() == Symbol.NOT) {
            consumeToken();
            return createAstUnary(not(true), AstUnary.NOT);
        }
        return eq(required);
    }

    /**
     * "~" sits between comparisons and "+"/"-" as in Jinja2 ("x" ~ 1 + 2 is "x3"); Jinjava parsed it as another
     * additive operator.
     */
    @Override
    protected AstNode add(boolean required) throws ScanException, ParseException {
        AstNode v = sum(required);
        if (v == null) {
            return null;
        }
        while (isConcat(getToken())) {
            consumeToken();
            v = new AstBinary(v, sum(true), PythonOperators.CONCAT);
        }
        return v;
    }

    private static boolean isConcat(Scanner.Token token) {
        return token.getSymbol() == Symbol.EXTENSION && "~".equals(token.getImage());
    }

    private AstNode sum(boolean required) throws ScanException, ParseException {
        AstNode v = mul(required);
        if (v == null) {
            return null;
        }
        while (true) {
            Scanner.Token token = getToken();
            if (token.getSymbol() == Symbol.PLUS) {
                consumeToken();
                v = createAstBinary(v, mul(true), PythonOperators.ADD);
            } else if (token.getSymbol() == Symbol.MINUS) {
                consumeToken();
                v = createAstBinary(v, mul(true), AstBinary.SUB);
            } else if (token.getSymbol() == Symbol.EXTENSION && !isConcat(token)
                    && getExtensionHandler(token).getExtensionPoint() == ExtensionPoint.ADD) {
                v = getExtensionHandler(consumeToken()).createAstNode(v, mul(true));
            } else {
                return v;
            }
        }
    }

    /**
     * "*" and "%" with Python's meaning for strings and lists ("  " * depth, "%s" % name, -7 % 3 == 2); "+" is built
     * with its Python meaning in sum().
     */
    @Override
    protected AstBinary createAstBinary(AstNode left, AstNode right, AstBinary.Operator operator) {
        AstBinary.Operator python = operator == AstBinary.MUL ? PythonOperators.MUL
                : operator == AstBinary.MOD ? PythonOperators.MOD : operator;
        return super.createAstBinary(left, right, python);
    }

    /**
     * Call arguments: a keyword argument's value is a whole expression. Jinjava parses "=" as an additive operator,
     * so {@code namespace(i=messages|length - 1)} became {@code (i=messages|length) - 1}.
     */
    @Override
    protected AstParameters params(Symbol left, Symbol right) throws ScanException, ParseException {
        consumeToken(left);
        List<AstNode> list = new ArrayList<>();
        if (getToken().getSymbol() != right) {
            list.add(argument());
            while (getToken().getSymbol() == Symbol.COMMA) {
                consumeToken();
                if (getToken().getSymbol() == right) {
                    break; // Python allows a trailing comma
                }
                list.add(argument());
            }
        }
        consumeToken(right);
        return createAstParameters(list);
    }

    private AstNode argument() throws ScanException, ParseException {
        if (getToken().getSymbol() == Symbol.IDENTIFIER && isAssign(lookahead(0))) {
            String name = consumeToken().getImage();
            consumeToken();
            return new AstNamedParameter(new AstIdentifier(name, 0), expr(true));
        }
        return expr(true);
    }

    private static boolean isAssign(Scanner.Token token) {
        return token.getSymbol() == Symbol.EXTENSION && "=".equals(token.getImage());
    }

    /**
     * Attribute, subscript and call postfixes, then filters and tests. Differs from Jinjava in: slices take a step
     * ({@code messages[::-1]}) and follow Python's rules for negative and out-of-range bounds; after a filter chain an
     * "is" test may follow (and the reverse), as in Jinja2.
     */
    @Override
    protected AstNode value() throws ScanException, ParseException {
        boolean lvalue = true;
        AstNode v = nonliteral();
        if (v == null) {
            v = literal();
            if (v == null) {
                return null;
            }
            lvalue = false;
        }
        while (true) {
            switch (getToken().getSymbol()) {
                case DOT -> {
                    consumeToken();
                    String name = consumeToken(Symbol.IDENTIFIER).getImage();
                    AstDot dot = createAstDot(v, name, lvalue);
                    v = getToken().getSymbol() == Symbol.LPAREN ? createAstMethod(dot, params()) : dot;
                }
                case LBRACK -> v = subscript(v, lvalue);
                default -> {
                    return filtersAndTests(v);
                }
            }
        }
    }

    private AstNode subscript(AstNode base, boolean lvalue) throws ScanException, ParseException {
        consumeToken(Symbol.LBRACK);
        AstNode start = isSliceColon(getToken()) ? null : expr(false);
        if (getToken().getSymbol() == Symbol.RBRACK) {
            if (start == null) {
                fail("an index inside []");
            }
            consumeToken();
            var bracket = createAstBracket(base, start, lvalue, true);
            return getToken().getSymbol() == Symbol.LPAREN ? createAstMethod(bracket, params()) : bracket;
        }
        if (!isSliceColon(getToken())) {
            fail(Symbol.RBRACK);
        }
        consumeToken();
        AstNode stop = isSliceColon(getToken()) || getToken().getSymbol() == Symbol.RBRACK ? null : expr(true);
        AstNode step = null;
        if (isSliceColon(getToken())) {
            consumeToken();
            step = getToken().getSymbol() == Symbol.RBRACK ? null : expr(true);
        }
        consumeToken(Symbol.RBRACK);
        return new PythonSlice(base, start, stop, step);
    }

    // Jinjava's scanner gives "else" the COLON symbol too; only a real ':' separates slice bounds.
    private static boolean isSliceColon(Scanner.Token token) {
        return token.getSymbol() == Symbol.COLON && ":".equals(token.getImage());
    }

    private AstNode filtersAndTests(AstNode left) throws ScanException, ParseException {
        AstNode v = left;
        while (true) {
            Scanner.Token token = getToken();
            if (token.getSymbol() != Symbol.STRING && "|".equals(token.getImage())
                    && lookahead(0).getSymbol() == Symbol.IDENTIFIER) {
                consumeToken();
                String name = consumeToken().getImage();
                List<AstNode> args = new ArrayList<>(List.of(v, interpreter()));
                if (getToken().getSymbol() == Symbol.LPAREN) {
                    AstParameters p = params();
                    for (int i = 0; i < p.getCardinality(); i++) {
                        args.add(p.getChild(i));
                    }
                }
                v = createAstMethod(createAstDot(new Registered(Registered.Kind.FILTER, name), "filter", true),
                        createAstParameters(args));
            } else if (token.getSymbol() == Symbol.IDENTIFIER && "is".equals(token.getImage())) {
                boolean negated = "not".equals(lookahead(0).getImage()) && isTestName(lookahead(1));
                if (!negated && !isTestName(lookahead(0))) {
                    return v;
                }
                consumeToken();
                if (negated) {
                    consumeToken();
                }
                String name = consumeToken().getImage();
                List<AstNode> args = new ArrayList<>(List.of(v, interpreter()));
                AstNode arg = testArgument();
                if (arg != null) {
                    args.add(arg);
                }
                v = createAstMethod(
                        createAstDot(new Registered(Registered.Kind.TEST, name), negated ? "evaluateNegated" : "evaluate", true),
                        createAstParameters(args));
            } else {
                return v;
            }
        }
    }

    private static boolean isTestName(Scanner.Token token) {
        return switch (token.getSymbol()) {
            case IDENTIFIER, TRUE, FALSE, NULL, EQ, NE, LT, LE, GT, GE -> true;
            case EXTENSION -> "in".equals(token.getImage());
            default -> false;
        };
    }

    /** A test's single argument, as Jinja2 takes it: "is divisibleby 3", "is equalto(x)", "is sameas false". */
    private AstNode testArgument() throws ScanException, ParseException {
        Scanner.Token token = getToken();
        return switch (token.getSymbol()) {
            case LPAREN -> {
                AstParameters p = params();
                yield p.getCardinality() == 0 ? null : p.getChild(0);
            }
            case IDENTIFIER, STRING, INTEGER, FLOAT, TRUE, FALSE, NULL, LBRACK -> value();
            default -> null;
        };
    }

    /**
     * The filter or test a name refers to. Jinjava resolves an unknown name to null and then renders nothing; Jinja2
     * refuses the template, and so does this node, naming what is missing.
     */
    static final class Registered extends AstRightValue {
        enum Kind { FILTER, TEST }

        private final Kind kind;
        private final String name;

        Registered(Kind kind, String name) {
            this.kind = kind;
            this.name = name;
        }

        @Override
        public Object eval(Bindings bindings, ELContext context) {
            JinjavaInterpreter interpreter = (JinjavaInterpreter) context.getELResolver().getValue(context, null, INTERPRETER);
            Object found = kind == Kind.FILTER ? interpreter.getContext().getFilter(name) : interpreter.getContext().getExpTest(name);
            if (found == null) {
                throw new ELException("no " + (kind == Kind.FILTER ? "filter" : "test") + " named '" + name + "'");
            }
            return found;
        }

        @Override
        public void appendStructure(StringBuilder builder, Bindings bindings) {
            builder.append(kind == Kind.FILTER ? FILTER_PREFIX : EXPTEST_PREFIX).append(name);
        }

        @Override
        public int getCardinality() {
            return 0;
        }

        @Override
        public AstNode getChild(int i) {
            return null;
        }

        @Override
        public String toString() {
            return name;
        }
    }
}
