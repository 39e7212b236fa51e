package io.puhui.server.safety;

/**
 * What a check found.
 *
 * @param category the risk category
 * @param action   what the rule says to do
 * @param term     the lexicon entry or pattern that matched, as written
 * @param source   where the rule comes from ({@code file:line}, or {@code pattern:NAME})
 * @param offset   where the match ends in the text checked, counted in characters of the raw text
 */
public record Hit(String category, Lexicon.Action action, String term, String source, long offset) {
    public boolean blocks() {
        return action == Lexicon.Action.BLOCK;
    }
}
