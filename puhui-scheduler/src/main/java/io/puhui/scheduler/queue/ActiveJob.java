package io.puhui.scheduler.queue;

/** A job between arrival and completion, with what it has received so far. */
public final class ActiveJob {
    final Job job;
    final int tenant;
    long remaining;
    int chosenIn = -1;
    long attainedGpuSeconds;
    long firstStart = -1;
    long finish = -1;
    int preemptions;
    boolean running;
    long runningSince;

    ActiveJob(Job job, int tenant) {
        this.job = job;
        this.tenant = tenant;
        this.remaining = job.duration();
    }

    public Job job() {
        return job;
    }

    public String tenant() {
        return job.tenant();
    }

    /** The tenant's number in the {@link Quotas}. */
    public int tenantIndex() {
        return tenant;
    }

    public int gpus() {
        return job.gpus();
    }

    /** Seconds of run time still needed: an oracle's view (SRTF). */
    public long remaining() {
        return remaining;
    }

    /** Accelerator-seconds received so far: what a policy that knows no durations may use (LAS). */
    public long attainedGpuSeconds() {
        return attainedGpuSeconds;
    }

    public boolean running() {
        return running;
    }

    public long arrival() {
        return job.arrival();
    }
}
