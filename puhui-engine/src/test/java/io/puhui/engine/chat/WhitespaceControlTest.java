// Whitespace in rendered prompts must match Jinja2 with trim_blocks and lstrip_blocks byte for byte; these are the rules.
package io.puhui.engine.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class WhitespaceControlTest {

    private static String render(String template) {
        return ChatTemplate.of(template, null, null).render(List.of(), false);
    }

    @Test
    void trimBlocksRemovesTheNewlineAfterABlockTag() {
        assertThat(render("{% if true %}\nX\n{% endif %}\nY")).isEqualTo("X\nY");
    }

    @Test
    void lstripBlocksRemovesIndentationBeforeABlockTagAloneOnItsLine() {
        String template = """
                <ul>
                  {% for x in [1, 2] %}
                  <li>{{ x }}</li>
                  {% endfor %}
                </ul>""";
        assertThat(render(template)).isEqualTo("<ul>\n  <li>1</li>\n  <li>2</li>\n</ul>");
    }

    @Test
    void lstripBlocksLeavesIndentationBeforeAnExpression() {
        assertThat(render("  {{ 'x' }}\ny")).isEqualTo("  x\ny");
    }

    @Test
    void lstripBlocksLeavesTextBeforeATagOnTheSameLine() {
        assertThat(render("a {% if true %}b{% endif %}")).isEqualTo("a b");
    }

    @Test
    void minusMarkersStripAllWhitespaceOnTheirSide() {
        assertThat(render("a  \n {%- if true -%} \n b \n {%- endif -%}  c")).isEqualTo("abc");
        assertThat(render("a \n {{- 'b' -}} \n c")).isEqualTo("abc");
    }

    @Test
    void plusMarkersKeepWhatLstripAndTrimWouldRemove() {
        assertThat(render("  {%+ if true %}x{% endif %}")).isEqualTo("  x");
        assertThat(render("{% if true +%}\nx{% endif %}")).isEqualTo("\nx");
    }

    @Test
    void expressionsKeepTheNewlineAfterThem() {
        assertThat(render("{{ 'a' }}\nb")).isEqualTo("a\nb");
    }

    @Test
    void oneTrailingNewlineOfTheTemplateIsDropped() {
        assertThat(render("x\n")).isEqualTo("x");
        assertThat(render("x\n\n")).isEqualTo("x\n");
    }

    @Test
    void windowsNewlinesBecomeUnixNewlines() {
        assertThat(render("a\r\nb\rc")).isEqualTo("a\nb\nc");
    }

    @Test
    void commentsVanishWithTheirLine() {
        assertThat(render("a {# note #}\nb")).isEqualTo("a b");
        assertThat(render("  {# note #}\nb")).isEqualTo("b");
        assertThat(render("a{#- note -#}   b")).isEqualTo("ab");
    }

    @Test
    void rawBlocksAreNotInterpreted() {
        assertThat(render("{% raw %}{{ x }} {% if %}{% endraw %}")).isEqualTo("{{ x }} {% if %}");
    }

    @Test
    void closingBracesOfNestedDictLiteralsDoNotEndTheTag() {
        assertThat(render("{{ {'a': {'b': 1}}['a']['b'] }}")).isEqualTo("1");
        assertThat(render("{% set d = {'a': {'b': 2}} %}{{ d.a.b }}")).isEqualTo("2");
    }

    @Test
    void delimitersInsideStringLiteralsDoNotEndTheTag() {
        assertThat(render("{{ '}}' + \"%}\" }}")).isEqualTo("}}%}");
        assertThat(render("{% set s = '-%}' %}[{{ s }}]")).isEqualTo("[-%}]");
    }

    @Test
    void aLeadingMinusIsNegationNotAWhitespaceMarker() {
        assertThat(render("{{ -1 }} {{ - 2 }}")).isEqualTo("-1 -2");
    }

    @Test
    void aBraceBeforeATagStaysText() {
        assertThat(render("{ {{- 'x' }}")).isEqualTo("{x");
    }

    @Test
    void anUnclosedTagIsReportedWithItsLine() {
        assertThatThrownBy(() -> render("line one\n{{ messages"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("line 2")
                .hasMessageContaining("never closed");
    }
}
