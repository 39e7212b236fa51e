// Expressions in chat templates follow Python and Jinja2, not Java: these are the behaviours real templates rely on.
package io.puhui.engine.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TemplateExpressionsTest {

    private static String render(String template, Map<String, ?> variables) {
        return ChatTemplate.of(template, null, null).render(List.of(), false, variables);
    }

    private static String render(String template) {
        return render(template, Map.of());
    }

    // No system turn: a template that prints user turns but not a system turn would get the system text folded in.
    private static final List<ChatMessage> CONVERSATION = List.of(
            ChatMessage.user("U1"), ChatMessage.assistant("A1"), ChatMessage.user("U2"), ChatMessage.assistant("A2"));

    private static String renderMessages(String template) {
        return ChatTemplate.of(template, null, null).render(CONVERSATION, false);
    }

    @Test
    void messagesAreDictsReadByKeyOrAttribute() {
        assertThat(renderMessages("{{ messages[0]['role'] }} {{ messages[0].content }} {{ messages[-1].role }}"))
                .isEqualTo("user U1 assistant");
        assertThat(renderMessages("{{ 'content' in messages[0] }} {{ 'tool_calls' in messages[0] }}"))
                .isEqualTo("True False");
    }

    @Test
    void slicesFollowPython() {
        assertThat(renderMessages("{% for m in messages[1:] %}{{ m.content }} {% endfor %}")).isEqualTo("A1 U2 A2 ");
        assertThat(renderMessages("{% for m in messages[::-1] %}{{ m.content }} {% endfor %}")).isEqualTo("A2 U2 A1 U1 ");
        assertThat(render("{{ 'abcdef'[1:-1] }} {{ 'abcdef'[::2] }} {{ [1, 2, 3, 4][-2:] }} {{ 'abc'[-1] }} [{{ 'abc'[5:] }}]"))
                .isEqualTo("bcde ace [3, 4] c []");
        assertThat(render("{% set out = '{\"a\": 1}' %}{{ out[:-1] }}")).isEqualTo("{\"a\": 1");
    }

    @Test
    void stringMethodsFollowPython() {
        assertThat(render("[{{ s.strip() }}|{{ s.lstrip() }}|{{ s.rstrip() }}|{{ '\\n\\nx\\n'.strip('\\n') }}]",
                Map.of("s", "  a b  "))).isEqualTo("[a b|a b  |  a b|x]");
        // Python keeps the empty piece after a trailing separator; Java's String.split would drop it
        assertThat(render("{{ 'a</think>'.split('</think>') }} {{ 'a  b c'.split() }} {{ 'a,b,c'.split(',', 1) }}"))
                .isEqualTo("['a', ''] ['a', 'b', 'c'] ['a', 'b,c']");
        assertThat(render("{{ 'x<tool_response>'.startswith('x') }} {{ 'abc'.endswith(('z', 'c')) }}"))
                .isEqualTo("True True");
        assertThat(render("{{ 'hello wORLD'.title() }} {{ 'abc'.upper() }} {{ 'ABC'.lower() }} {{ 'aXa'.replace('a', 'b') }}"))
                .isEqualTo("Hello World ABC abc bXb");
        assertThat(render("{{ ', '.join(['a', 'b']) }} {{ '{}={}'.format('k', 1) }} {{ 'b' in 'abc' }}"))
                .isEqualTo("a, b k=1 True");
    }

    @Test
    void qwen3SeparatesReasoningFromTheAnswerWithStringMethods() {
        String t = "{% set c = m.split('</think>')[-1].lstrip('\\n') %}"
                + "{% set r = m.split('</think>')[0].rstrip('\\n').split('<think>')[-1].lstrip('\\n') %}[{{ r }}][{{ c }}]";
        assertThat(render(t, Map.of("m", "<think>\nplan\n</think>\n\nanswer"))).isEqualTo("[plan][answer]");
    }

    @Test
    void stringLiteralsFollowPythonEscapes() {
        // Mistral Small's template continues long literals over lines with a backslash before the newline
        assertThat(render("{% set s = \"one \\\ntwo\" %}[{{ s }}]")).isEqualTo("[one two]");
        assertThat(render("{{ '\\x41\\u4f60\\N{DEGREE SIGN}\\101|\\d|\\\\|\\'|\\v' }}"))
                .isEqualTo("A你°A|\\d|\\|'|\u000b");
        assertThat(render("{{ \"it's \" ~ 'say \"hi\"' }}")).isEqualTo("it's say \"hi\"");
    }

    @Test
    void anUnknownStringMethodIsAnErrorNamingIt() {
        assertThatThrownBy(() -> render("{{ 'abc'.shout() }}"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'shout'");
    }

    @Test
    void valuesPrintAsPythonPrintsThem() {
        assertThat(render("{{ true }} {{ [1, 'a', none, false] }} {{ {'k': 'v'} }} {{ 1.5 }} {{ 100.0 }} {{ x }}",
                Map.of("x", 1e-7))).isEqualTo("True [1, 'a', None, False] {'k': 'v'} 1.5 100.0 1e-07");
        assertThat(render("{{ 'a' ~ 1 ~ true }} {{ 'x' ~ 1 + 2 }}")).isEqualTo("a1True x3");
    }

    @Test
    void undefinedNamesAreEmptyAndFalsy() {
        assertThat(render("[{{ nothing }}][{{ nothing.deeper.still }}][{{ 'a' + nothing }}][{{ nothing|length }}]"
                + "{% if nothing %}T{% else %}F{% endif %}{{ nothing is defined }}"))
                .isEqualTo("[][][a][0]FFalse");
        assertThat(render("[{{ none|string }}]")).isEqualTo("[]");
    }

    @Test
    void operatorsFollowPython() {
        assertThat(render("[{{ '  ' * 2 }}] {{ 3 * 'ab' }} {{ [1] + [2] }} {{ 7 // 2 }} {{ 2 * 3 }} {{ -1 }}"))
                .isEqualTo("[    ] ababab [1, 2] 3 6 -1");
        assertThat(render("{{ not 1 == 2 }} {{ not 'a' in 'abc' }} {{ 'a' not in 'abc' }}")).isEqualTo("True False False");
        assertThat(render("{{ -7 % 3 }} {{ 7 % -3 }} {{ 10 % 3 }} {{ 7 // 2 }} {{ 7 / 2 }}")).isEqualTo("2 -2 1 3 3.5");
        assertThat(render("{{ 'Hello %s, %d%%' % ('world', 5) }}|{{ '%(n)s=%(v)5.2f' % {'n': 'pi', 'v': 3.14159} }}"))
                .isEqualTo("Hello world, 5%|pi= 3.14");
    }

    @Test
    void namespaceKeywordArgumentsAreWholeExpressions() {
        assertThat(renderMessages("{% set ns = namespace(last=messages|length - 1, found=false) %}"
                + "{% for m in messages %}{% if m.role == 'assistant' %}{% set ns.found = true %}{% endif %}{% endfor %}"
                + "{{ ns.last }} {{ ns.found }}")).isEqualTo("3 True");
    }

    @Test
    void testsFollowPythonTypes() {
        assertThat(render("{{ 'x' is string }} {{ 'x' is iterable }} {{ d is mapping }} {{ 1 is number }} {{ f is false }} "
                + "{{ none is none }} {{ 'x' is not string }} {{ 5 is divisibleby 5 }}", Map.of("d", Map.of(), "f", false)))
                .isEqualTo("True True True True True True False True");
        // an undefined value iterates as empty in Jinja2, so it "is iterable" (Hermes' schema macro depends on it)
        assertThat(render("{{ nothing is iterable }} {{ 1 is iterable }}")).isEqualTo("True False");
    }

    @Test
    void loopsFollowJinja2() {
        assertThat(renderMessages("{% for m in messages %}{% if loop.first %}<{% endif %}{{ loop.index0 }}{{ loop.index }}"
                + "{% if loop.last %}>{% endif %}{% endfor %}")).isEqualTo("<01122334>");
        // the filter applies before loop.last is computed
        assertThat(renderMessages("{% for m in messages if m.role == 'user' %}{{ m.content }}{% if not loop.last %},{% endif %}"
                + "{% endfor %}")).isEqualTo("U1,U2");
        assertThat(renderMessages("{% for m in messages %}{{ loop.previtem.content if loop.previtem else '-' }}/"
                + "{{ loop.nextitem.content if loop.nextitem else '-' }} {% endfor %}"))
                .isEqualTo("-/A1 U1/U2 A1/A2 U2/- ");
        assertThat(renderMessages("{% for m in messages %}{% if m.role == 'assistant' %}{% break %}{% endif %}{{ m.content }}"
                + "{% endfor %}|{% for m in messages %}{% if m.role == 'user' %}{% continue %}{% endif %}{{ m.content }}"
                + "{% endfor %}")).isEqualTo("U1|A1A2");
        assertThat(render("{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}{% for k, v in d|items %}{{ k }}{% endfor %}"
                + "{% for k in d %}{{ k }}{% endfor %}{% for x in [] %}a{% else %}empty{% endfor %}",
                Map.of("d", new LinkedHashMap<>(Map.of("a", 1))))).isEqualTo("a=1;aaempty");
    }

    @Test
    void tojsonMatchesPythonJsonDumps() {
        Map<String, Object> tool = new LinkedHashMap<>();
        tool.put("name", "查询天气");
        tool.put("args", List.of(1, 2.5, true));
        tool.put("none", null);
        tool.put("empty", Map.of());
        assertThat(render("{{ t|tojson }}", Map.of("t", tool)))
                .isEqualTo("{\"name\": \"查询天气\", \"args\": [1, 2.5, true], \"none\": null, \"empty\": {}}");
        assertThat(render("{{ t|tojson(indent=2) }}", Map.of("t", tool))).isEqualTo("""
                {
                  "name": "查询天气",
                  "args": [
                    1,
                    2.5,
                    true
                  ],
                  "none": null,
                  "empty": {}
                }""");
        assertThat(render("{{ '<b> & \"q\"'|tojson }} {{ '天'|tojson(ensure_ascii=true) }}"))
                .isEqualTo("\"<b> & \\\"q\\\"\" \"\\u5929\"");
    }

    @Test
    void filtersFollowJinja2() {
        assertThat(render("{{ 'a\\nb'|indent(4, first=true) }}|{{ 'a\\n\\nb\\n'|indent(2) }}|{{ '  x '|trim }}|"
                + "{{ [1, 'a']|join('-') }}|{{ 'abc'|list }}|{{ [1, 2]|reverse|list }}|{{ 'hello world'|title }}"))
                .isEqualTo("    a\n    b|a\n\n  b\n|x|1-a|['a', 'b', 'c']|[2, 1]|Hello World");
        assertThat(render("{{ [1, 2]|sum }} {{ [1.5, 2]|sum }} {{ [3, 1, 2]|min }} {{ ['b', 'A', 'c']|max }}"))
                .isEqualTo("3 3.5 1 c");
        assertThat(renderMessages("{{ messages|selectattr('role', 'equalto', 'user')|map(attribute='content')|join(',') }}"
                + " {{ (messages|first).content }} {{ (messages|last).content }}")).isEqualTo("U1,U2 U1 A2");
    }

    @Test
    void filterBlocksAndSetBlocksCaptureTheirBody() {
        assertThat(render("{% set x %}  body  {% endset %}[{{ x }}]{% filter trim %}  t  {% endfilter %}{% filter upper %}u{% endfilter %}"))
                .isEqualTo("[  body  ]tU");
    }

    @Test
    void recursiveMacrosWork() {
        assertThat(render("{% macro count(n) %}{{ n }}{% if n > 0 %}{{ count(n - 1) }}{% endif %}{% endmacro %}{{ count(3) }}"))
                .isEqualTo("3210");
    }

    @Test
    void messageContentIsNeverInterpretedAsTemplateCode() {
        String content = "{{ 7 * 7 }} {% if true %}x{% endif %} {{ raise_exception('no') }}";
        String out = ChatTemplate.of(ChatTemplate.CHATML, null, null).render(List.of(ChatMessage.user(content)), false);
        assertThat(out).isEqualTo("<|im_start|>user\n" + content + "<|im_end|>\n");
    }

    @Test
    void unknownFiltersAndTestsAreErrorsNotSilence() {
        assertThatThrownBy(() -> render("{{ 'x'|shout }}"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no filter named 'shout'");
        assertThatThrownBy(() -> render("{{ 'x' is loud }}"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no test named 'loud'");
    }

    @Test
    void templatesCannotLoadOtherResources() {
        assertThatThrownBy(() -> render("{% include 'META-INF/MANIFEST.MF' %}"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("chat templates must be self-contained");
    }

    @Test
    void dictBuildsAMappingFromKeywords() {
        assertThat(render("{{ dict(name='x', n=1)|tojson }}")).isEqualTo("{\"name\": \"x\", \"n\": 1}");
    }
}
