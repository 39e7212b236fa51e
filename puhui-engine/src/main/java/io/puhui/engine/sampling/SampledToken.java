// A chosen token with the model's log-probability for it and, when asked, the most likely alternatives.
package io.puhui.engine.sampling;

import java.util.List;

public record SampledToken(int id, float logprob, List<Candidate> top) {

    /** One alternative: token id and its log-probability under the model. */
    public record Candidate(int id, float logprob) {
    }
}
