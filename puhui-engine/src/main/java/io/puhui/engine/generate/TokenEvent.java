// One generated token as it streams: its id, the text that became safe to show with it, and its logprobs.
package io.puhui.engine.generate;

import io.puhui.engine.sampling.SampledToken;
import java.util.List;

public record TokenEvent(int token, String text, float logprob, List<SampledToken.Candidate> top) {
}
