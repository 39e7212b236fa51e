// Chat templates: from a conversation to the exact prompt text a model expects.
// Entry points are ChatTemplate and ChatMessage; everything else adapts Jinjava to the Jinja2 that templates are written for.
/**
 * Renders Hugging Face chat templates (the Jinja text GGUF files carry in {@code tokenizer.chat_template}) the way
 * transformers' {@code apply_chat_template} does: Jinja2 with {@code trim_blocks} and {@code lstrip_blocks}, its
 * {@code tojson}, {@code raise_exception} and {@code strftime_now}, and Python semantics for values.
 *
 * <p>Jinjava does the parsing and evaluation. Where it differs from Jinja2 the package corrects it:
 * {@link io.puhui.engine.chat.Jinja2Source} applies whitespace control and string escapes before Jinjava sees the
 * source; {@link io.puhui.engine.chat.Jinja2ExpressionParser} fixes operator precedence, keyword arguments and
 * slices; the Python* classes give strings, numbers, lists and JSON Python's behaviour; filters, tests, the for-loop
 * and a few tags are replaced or added. Every shared template is compared with Python Jinja2's output in the tests.
 *
 * <p>Deliberate departures from Jinja2, each because the Jinja2 result is not a useful prompt:
 * <ul>
 *   <li>None and an undefined name are both Java null: they print as nothing (Jinja2 prints "None" for None), and
 *       {@code is defined} is false for a key whose value is None;</li>
 *   <li>operations Jinja2 rejects with a TypeError are lenient ("a" + None is "a", "a" + dict appends the dict's
 *       Python repr);</li>
 *   <li>{@code |safe} strings do not HTML-escape what is added to them;</li>
 *   <li>a template that cannot show a system message gets it at the start of the first user message.</li>
 * </ul>
 * Not supported, and reported as an error: recursive for-loops, chained comparisons ({@code a < b < c}),
 * {@code include}/{@code import}/{@code extends}.
 */
package io.puhui.engine.chat;
