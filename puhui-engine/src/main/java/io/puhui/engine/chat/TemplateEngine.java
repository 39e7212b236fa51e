// Jinjava configured to render Hugging Face chat templates as transformers' Jinja2 environment does, turning
// template failures into IllegalArgumentException that say what went wrong.
package io.puhui.engine.chat;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.TruthyTypeConverter;
import com.hubspot.jinjava.el.TypeConvertingMapELResolver;
import com.hubspot.jinjava.el.ext.JinjavaBeanELResolver;
import com.hubspot.jinjava.el.ext.JinjavaListELResolver;
import com.hubspot.jinjava.interpret.Context;
import com.hubspot.jinjava.interpret.InterpreterFactory;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.loader.ResourceNotFoundException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import jinjava.de.odysseus.el.ExpressionFactoryImpl;
import jinjava.de.odysseus.el.tree.TreeStore;
import jinjava.de.odysseus.el.tree.impl.Cache;
import jinjava.javax.el.ArrayELResolver;
import jinjava.javax.el.CompositeELResolver;
import jinjava.javax.el.ExpressionFactory;

final class TemplateEngine {
    /** Renders are independent; one configured Jinjava serves all templates and threads. */
    private static final class Shared {
        static final TemplateEngine INSTANCE = new TemplateEngine();
    }

    private final Jinjava jinjava;

    private TemplateEngine() {
        CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new PythonStringMethods());
        resolver.add(new TemplateLoop.Attributes());
        resolver.add(new ArrayELResolver(true));
        resolver.add(new JinjavaListELResolver(true));
        resolver.add(new TypeConvertingMapELResolver(true));
        resolver.add(new JinjavaBeanELResolver(true));

        JinjavaConfig config = JinjavaConfig.newBuilder()
                // whitespace is handled ahead of Jinjava by Jinja2Source
                .withTrimBlocks(false)
                .withLstripBlocks(false)
                // output that looks like a template must stay text: message content is user input
                .withNestedInterpretationEnabled(false)
                // tool schemas are converted by recursive macros (Hermes, Command R)
                .withEnableRecursiveMacroCalls(true)
                .withMaxMacroRecursionDepth(64)
                .withLegacyOverrides(LegacyOverrides.newBuilder().withIterateOverMapKeys(true).build())
                .withElResolver(resolver)
                .withInterperterFactory(new PythonPrintingInterpreters())
                .withMaxOutputSize(64L << 20)
                .build();
        jinjava = new Jinja2Jinjava(config);
        // a template comes inside a model file; it must not read other resources through include/import/extends
        jinjava.setResourceLocator((name, encoding, interpreter) -> {
            throw new ResourceNotFoundException("chat templates must be self-contained; cannot load '" + name + "'");
        });
        Jinja2Filters.all().forEach(jinjava::registerFilter);
        Jinja2Tests.all().forEach(jinjava::registerExpTest);
        jinjava.registerTag(new LoopTag());
        BlockTags.all().forEach(jinjava::registerTag);
        TemplateFunctions.definitions().forEach(jinjava::registerFunction);
    }

    static TemplateEngine shared() {
        return Shared.INSTANCE;
    }

    /**
     * Renders a source already passed through {@link Jinja2Source}.
     *
     * @throws IllegalArgumentException when the template raises an exception or cannot be rendered
     */
    String render(String preparedSource, Map<String, Object> variables) {
        Map<String, Object> bindings = new HashMap<>(variables);
        bindings.putIfAbsent("raise_exception", new TemplateFunctions.Marker("raise_exception"));
        bindings.putIfAbsent("strftime_now", new TemplateFunctions.Marker("strftime_now"));
        RenderResult result = jinjava.renderForResult(preparedSource, bindings);
        // Jinjava reports some syntax errors (a stray {% endif %}) as warnings and renders on; Jinja2 refuses them
        List<TemplateError> fatal = result.getErrors().stream()
                .filter(e -> e.getSeverity() == TemplateError.ErrorType.FATAL
                        || e.getReason() == TemplateError.ErrorReason.SYNTAX_ERROR)
                .toList();
        for (TemplateError error : fatal) {
            for (Throwable t = error.getException(); t != null; t = t.getCause()) {
                if (t instanceof TemplateFunctions.TemplateRaised raised) {
                    throw new IllegalArgumentException("the chat template rejected the conversation: " + raised.getMessage());
                }
            }
        }
        if (!fatal.isEmpty()) {
            StringBuilder sb = new StringBuilder("the chat template could not be rendered: ");
            for (int i = 0; i < fatal.size() && i < 3; i++) {
                sb.append(i == 0 ? "" : "; ").append(describe(fatal.get(i)));
            }
            if (fatal.size() > 3) {
                sb.append("; and ").append(fatal.size() - 3).append(" more");
            }
            throw new IllegalArgumentException(sb.toString());
        }
        return result.getOutput();
    }

    private static String describe(TemplateError error) {
        String message = error.getMessage() == null ? error.getReason().toString() : error.getMessage().strip();
        return message.replaceAll("\\s+", " ");
    }

    /** Jinjava whose expressions go through {@link Jinja2ExpressionParser}. */
    private static final class Jinja2Jinjava extends Jinjava {
        private final ExpressionFactory expressions = new ExpressionFactoryImpl(
                new TreeStore(new Jinja2ExpressionParser.SyntaxBuilder(), new Cache(2000)), new TruthyTypeConverter());

        Jinja2Jinjava(JinjavaConfig config) {
            super(config);
        }

        @Override
        public ExpressionFactory getExpressionFactory() {
            return expressions;
        }
    }

    /** Interpreters that print values as Python's str() does (True, ['a'], {'k': 'v'}) rather than Java's toString. */
    private static final class PythonPrintingInterpreters implements InterpreterFactory {
        @Override
        public JinjavaInterpreter newInstance(JinjavaInterpreter orig) {
            return new PythonPrinting(orig);
        }

        @Override
        public JinjavaInterpreter newInstance(Jinjava application, Context context, JinjavaConfig renderConfig) {
            return new PythonPrinting(application, context, renderConfig);
        }
    }

    private static final class PythonPrinting extends JinjavaInterpreter {
        PythonPrinting(JinjavaInterpreter orig) {
            super(orig);
        }

        PythonPrinting(Jinjava application, Context context, JinjavaConfig config) {
            super(application, context, config);
        }

        @Override
        public String getAsString(Object object) {
            return PythonValues.str(object);
        }
    }
}
