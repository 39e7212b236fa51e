package io.puhui.scheduler.queue;

/**
 * A job as a queue sees it: whole accelerators held for a run time, owned by a tenant.
 *
 * @param id       index in the run, 0-based
 * @param name     name from the trace
 * @param tenant   owner; quotas and fair share are per tenant
 * @param gpus     accelerators held while running (gang: all or none)
 * @param arrival  submission time, seconds
 * @param duration run time on its accelerators, seconds; only oracle policies (SJF, SRTF) may read it
 */
public record Job(int id, String name, String tenant, int gpus, long arrival, long duration) {
    public Job {
        if (gpus < 1 || duration < 0) {
            throw new IllegalArgumentException("job " + name + ": needs at least one accelerator and a run time");
        }
    }
}
