package io.puhui.scheduler.queue;

import java.util.List;

/**
 * Decides which jobs hold accelerators. At every event (arrival, completion, or a time the policy asked to be
 * woken at) the simulator passes the active jobs; the policy returns those that should run from now on. A
 * running job left out is preempted (it keeps its progress and pays the restart cost when it runs again).
 */
public interface QueuePolicy {

    String name();

    /** The jobs to run now, chosen among {@code active} (running and waiting), within {@code quotas}. */
    List<ActiveJob> select(long now, List<ActiveJob> active, Quotas quotas);

    /** The next time the policy's priorities change by themselves (such as a demotion), or Long.MAX_VALUE. */
    default long nextWakeUp(long now, List<ActiveJob> running) {
        return Long.MAX_VALUE;
    }
}
