package io.puhui.server.pool;

import io.puhui.server.node.scene.Scene;

/**
 * A running instance of a model variant that might take a request, as the router sees it.
 *
 * @param instance         instance id
 * @param node             node id
 * @param tier             the node's tier
 * @param model            the logical model (family) the variant belongs to
 * @param variant          the variant, such as {@code qwen2.5-1.5b-q4_k_m} or a cloud endpoint's model
 * @param quality          the variant's quality score, 0..1 (1 for the family's reference)
 * @param state            the node's state
 * @param scene            the node's scene; null for servers and endpoints that have none
 * @param owner            the tenant that owns the node (may use it in any scene that lends threads); empty
 * @param decodeTps        measured generation speed per stream, tokens/s
 * @param prefillTps       measured prompt speed, tokens/s
 * @param queued           requests waiting for a slot
 * @param slots            requests it runs at once
 * @param joulesPerToken   energy estimate per generated token on that node (from its power profile)
 */
public record Candidate(String instance, String node, Tier tier, String model, String variant, double quality,
                        NodeState state, Scene scene, String owner, double decodeTps, double prefillTps, int queued,
                        int slots, double joulesPerToken) {

    /** What the control plane knows of a node's health. */
    public enum NodeState { READY, DRAINING, LOST }

    public Candidate {
        owner = owner == null ? "" : owner;
        if (decodeTps <= 0 || prefillTps <= 0 || slots < 0 || queued < 0 || joulesPerToken < 0) {
            throw new IllegalArgumentException("instance " + instance + ": speeds must be positive and counts not negative");
        }
    }
}
