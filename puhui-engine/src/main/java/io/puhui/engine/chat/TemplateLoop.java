// The "loop" variable of a for-loop with Jinja2's full set of attributes, including previtem and nextitem,
// which tool-use templates read to group consecutive tool messages.
package io.puhui.engine.chat;

import com.hubspot.jinjava.util.ForLoop;
import java.beans.FeatureDescriptor;
import java.util.Iterator;
import java.util.List;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

/** Extends Jinjava's ForLoop so that its break and continue tags recognise it. */
final class TemplateLoop extends ForLoop {
    private final List<Object> items;

    TemplateLoop(List<Object> items) {
        super(items.iterator(), items.size());
        this.items = items;
    }

    Object attribute(String name) {
        int i = getIndex0();
        int n = items.size();
        return switch (name) {
            case "index" -> (long) i + 1;
            case "index0" -> (long) i;
            case "revindex" -> (long) (n - i);
            case "revindex0" -> (long) (n - i - 1);
            case "first" -> i == 0;
            case "last" -> i == n - 1;
            case "length" -> (long) n;
            case "previtem" -> i > 0 ? items.get(i - 1) : null;
            case "nextitem" -> i + 1 < n ? items.get(i + 1) : null;
            // depth counts recursion of "recursive" loops, which are not supported, so it is always the first level
            case "depth" -> 1L;
            case "depth0" -> 0L;
            default -> null;
        };
    }

    /** Resolves loop attributes and loop.cycle(...) without bean reflection. */
    static final class Attributes extends ELResolver {
        @Override
        public Object getValue(ELContext context, Object base, Object property) {
            if (base instanceof TemplateLoop loop && property != null) {
                context.setPropertyResolved(true);
                return loop.attribute(property.toString());
            }
            return null;
        }

        @Override
        public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
            if (base instanceof TemplateLoop loop && "cycle".equals(String.valueOf(method)) && params != null
                    && params.length > 0) {
                context.setPropertyResolved(true);
                return params[loop.getIndex0() % params.length];
            }
            return null;
        }

        @Override
        public Class<?> getType(ELContext context, Object base, Object property) {
            return null;
        }

        @Override
        public void setValue(ELContext context, Object base, Object property, Object value) {
        }

        @Override
        public boolean isReadOnly(ELContext context, Object base, Object property) {
            if (base instanceof TemplateLoop) {
                context.setPropertyResolved(true);
                return true;
            }
            return false;
        }

        @Override
        public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
            return null;
        }

        @Override
        public Class<?> getCommonPropertyType(ELContext context, Object base) {
            return null;
        }
    }
}
