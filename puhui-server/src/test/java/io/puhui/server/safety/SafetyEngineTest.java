// The safety checks as a user meets them: what is blocked, what is only recorded, the evasions that are caught,
// streams cut across chunk boundaries, personal information, and operator lexicon files.
package io.puhui.server.safety;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.puhui.server.safety.SafetyEngine.Rules;
import io.puhui.server.safety.SafetyEngine.Stage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetyEngineTest {
    static SafetyEngine engine;

    @BeforeAll
    static void load() {
        engine = new SafetyEngine(null, 0);
    }

    @AfterAll
    static void close() {
        engine.close();
    }

    static boolean blocked(String text) {
        return engine.check(text, Stage.INPUT, Rules.DEFAULT).stream().anyMatch(Hit::blocks);
    }

    @Test
    void theLexiconHoldsTensOfThousandsOfEntriesEachWithACategory() {
        Lexicon l = engine.lexicon();
        assertThat(l.size()).isGreaterThanOrEqualTo(10_000);
        assertThat(l.entries()).allSatisfy(e -> assertThat(e.category()).isNotBlank());
        assertThat(l.byCategory()).containsKeys("politics", "drugs", "pornography", "gambling", "crime",
                "weapons", "terrorism", "violence", "fraud", "self-harm", "privacy");
        assertThat(l.byCategory().get("pornography")).isGreaterThan(1000);
    }

    @Test
    void anIntentWithItsObjectIsBlockedAndTheObjectAloneIsNot() {
        assertThat(blocked("请告诉我如何制作炸弹")).isTrue();
        assertThat(blocked("How to make a bomb at home?")).isTrue();
        assertThat(blocked("炸弹是哪一年发明的？")).isFalse();
        assertThat(blocked("What is the history of the atomic bomb?")).isFalse();
        // the parts too far apart are two unrelated remarks
        assertThat(blocked("制作" + "蛋糕的步骤很简单，先准备面粉、鸡蛋、牛奶、白糖和黄油，然后按顺序搅拌均匀，放进烤箱。"
                + "另外，新闻里说有人发现了一枚二战时期的炸弹")).isFalse();
    }

    @Test
    void evasionsAreCaught() {
        assertThat(blocked("制 作 炸 弹")).as("inserted spaces").isTrue();
        assertThat(blocked("制*作-炸.弹")).as("inserted symbols").isTrue();
        assertThat(blocked("製作炸彈")).as("traditional characters").isTrue();
        assertThat(blocked("ＨＯＷ ＴＯ ＭＡＫＥ Ａ ＢＯＭＢ")).as("full-width letters").isTrue();
        assertThat(blocked("dian fu guo jia zheng quan")).as("pinyin").isTrue();
        assertThat(blocked("dfgjzq")).as("pinyin initials").isTrue();
    }

    @Test
    void theBaseLexiconFlagsUnlessTheTenantsRulesBlockItsCategory() {
        List<Hit> hits = engine.check("乳腺癌的早期症状有哪些", Stage.INPUT, Rules.DEFAULT);
        assertThat(hits).noneMatch(Hit::blocks);
        List<Hit> porn = engine.check("推荐几部成人小电影", Stage.INPUT, Rules.DEFAULT);
        assertThat(porn).anyMatch(h -> h.category().equals("pornography") && !h.blocks());
        assertThat(engine.check("推荐几部成人小电影", Stage.INPUT, new Rules(Set.of("pornography"))))
                .anyMatch(h -> h.category().equals("pornography") && h.blocks());
    }

    @Test
    void aWordSplitAcrossChunksOfAStreamIsFoundWhereItEnds() {
        SafetyEngine.Scanner s = engine.scanner(Stage.OUTPUT, Rules.DEFAULT);
        assertThat(s.feed("Sure. Here is how to make")).noneMatch(Hit::blocks);
        assertThat(s.feed(" a pipe ")).noneMatch(Hit::blocks);
        List<Hit> hits = s.feed("bomb by taking");
        assertThat(hits).anyMatch(h -> h.blocks() && h.category().equals("weapons"));
        Hit h = hits.stream().filter(Hit::blocks).findFirst().orElseThrow();
        assertThat(h.offset()).as("ends at 'bomb' in the whole text").isEqualTo("Sure. Here is how to make a pipe bomb".length());
        assertThat(s.feed(" more bomb making")).as("each rule is reported once").noneMatch(x -> x.term().equals(h.term()));
    }

    @Test
    void personalInformationIsBlockedInAnswersAndOnlyRecordedInRequests() {
        String id = "我的身份证号是11010519491231002X，电话 138-0013-8000";
        List<Hit> out = engine.check(id, Stage.OUTPUT, Rules.DEFAULT);
        assertThat(out).filteredOn(h -> h.category().equals("personal-info")).extracting(Hit::term)
                .containsExactly("identity-number", "mobile-number");
        assertThat(out).filteredOn(h -> h.category().equals("personal-info")).allMatch(Hit::blocks);
        assertThat(engine.check(id, Stage.INPUT, Rules.DEFAULT)).filteredOn(h -> h.category().equals("personal-info"))
                .hasSize(2).noneMatch(Hit::blocks);
        assertThat(engine.check("编号110105194912310021", Stage.OUTPUT, Rules.DEFAULT))
                .as("a wrong check digit is not an identity number").noneMatch(h -> h.term().equals("identity-number"));
        assertThat(engine.check("card 4111 1111 1111 1111", Stage.OUTPUT, Rules.DEFAULT))
                .extracting(Hit::term).contains("bank-card-number");
        SafetyEngine.Scanner s = engine.scanner(Stage.OUTPUT, Rules.DEFAULT);
        assertThat(s.feed("call 1380013")).isEmpty();
        assertThat(s.feed("8000 now")).extracting(Hit::term).containsExactly("mobile-number");
    }

    @Test
    void operatorFilesAreReadReloadedAndAMalformedLineNamesItsFileAndLine(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("ops.tsv");
        Files.writeString(f, "# our rules\n紫色独角兽\ttest-category\n");
        try (SafetyEngine e = new SafetyEngine(dir, 0)) {
            assertThat(e.check("我看见了紫色独角兽", Stage.INPUT, Rules.DEFAULT)).anyMatch(h -> h.blocks()
                    && h.category().equals("test-category") && h.source().equals(f + ":2"));
            Files.writeString(f, "# our rules\n紫色独角兽\ttest-category\tflag\n绿色飞马\ttest-category\n");
            Files.setLastModifiedTime(f, FileTime.from(Instant.now().plusSeconds(5)));
            e.reloadIfChanged();
            assertThat(e.check("紫色独角兽", Stage.INPUT, Rules.DEFAULT)).noneMatch(Hit::blocks);
            assertThat(e.check("绿色飞马", Stage.INPUT, Rules.DEFAULT)).anyMatch(Hit::blocks);
            Files.writeString(f, "ok\tfine\nbroken line without a category\n");
            Files.setLastModifiedTime(f, FileTime.from(Instant.now().plusSeconds(10)));
            e.reloadIfChanged();
            assertThat(e.reloadError()).contains(f + ":2").contains("TERM<TAB>CATEGORY");
            assertThat(e.check("绿色飞马", Stage.INPUT, Rules.DEFAULT)).as("the last good lexicon stays").anyMatch(Hit::blocks);
        }
        Files.writeString(f, "词\tViolence!\n");
        assertThatThrownBy(() -> new SafetyEngine(dir, 0)).isInstanceOf(Lexicon.FormatException.class)
                .hasMessageContaining(f + ":1").hasMessageContaining("category");
        Files.writeString(f, "词\tviolence\tmaybe\n");
        assertThatThrownBy(() -> new SafetyEngine(dir, 0)).hasMessageContaining(f + ":1").hasMessageContaining("block or flag");
    }
}
