// Streaming text: characters split across tokens, and stop strings split across tokens.
package io.puhui.engine.generate;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class StreamingTextTest {

    @Test
    void chineseSplitByteByByteComesOutWhole() {
        String text = "普惠算力，AI 生成 😀!";
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        Utf8Assembler a = new Utf8Assembler();
        List<String> pieces = new ArrayList<>();
        for (byte b : bytes) {
            pieces.add(a.accept(new byte[] {b}));
        }
        pieces.add(a.flush());
        assertThat(String.join("", pieces)).isEqualTo(text);
        // never a replacement character from a half-received sequence
        assertThat(pieces).noneMatch(p -> p.contains("\uFFFD"));
        assertThat(pieces.get(0)).isEmpty(); // first byte of 普 alone is not a character
        assertThat(pieces.get(2)).isEqualTo("普");
    }

    @Test
    void invalidBytesBecomeReplacementCharactersInsteadOfStalling() {
        Utf8Assembler a = new Utf8Assembler();
        assertThat(a.accept(new byte[] {(byte) 0xFF, 'a'})).isEqualTo("\uFFFDa");
        assertThat(a.accept(new byte[] {(byte) 0xE6})).isEmpty();
        assertThat(a.flush()).isEqualTo("\uFFFD");
    }

    @Test
    void stopStringSplitAcrossTokensIsNeverShown() {
        StopMatcher m = new StopMatcher(List.of("\nUser:", "###"));
        StringBuilder shown = new StringBuilder();
        for (String piece : new String[] {"Hello", " there", "\nUs", "er", ": next"}) {
            shown.append(m.accept(piece));
            if (m.stopped()) {
                break;
            }
        }
        assertThat(m.stopped()).isTrue();
        assertThat(shown.toString()).isEqualTo("Hello there");
        assertThat(m.text()).isEqualTo("Hello there");
    }

    @Test
    void heldBackPrefixIsReleasedWhenItTurnsOutNotToBeAStop() {
        StopMatcher m = new StopMatcher(List.of("###"));
        assertThat(m.accept("a #")).isEqualTo("a ");
        assertThat(m.accept("#")).isEmpty();
        assertThat(m.accept("b")).isEqualTo("##b");
        assertThat(m.accept("c#")).isEqualTo("c");
        assertThat(m.finish()).isEqualTo("#");
        assertThat(m.stopped()).isFalse();
        assertThat(m.text()).isEqualTo("a ##bc#");
    }

    @Test
    void earliestStopWins() {
        StopMatcher m = new StopMatcher(List.of("world", "lo"));
        assertThat(m.accept("hello world")).isEqualTo("hel");
        assertThat(m.stopped()).isTrue();
    }
}
