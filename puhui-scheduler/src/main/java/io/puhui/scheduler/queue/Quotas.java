package io.puhui.scheduler.queue;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Accelerators per tenant (nominal quota) and in all. A partitioned policy keeps each tenant within its quota;
 * a cohort policy lets tenants borrow what others leave idle.
 */
public final class Quotas {
    private final Map<String, Integer> nominal;
    private final Map<String, Integer> index = new java.util.HashMap<>();
    private final int[] byIndex;
    private final int total;

    public Quotas(Map<String, Integer> nominal) {
        this.nominal = new LinkedHashMap<>(nominal);
        int sum = 0;
        for (int q : nominal.values()) {
            if (q < 0) {
                throw new IllegalArgumentException("quotas must not be negative");
            }
            sum += q;
        }
        if (sum == 0) {
            throw new IllegalArgumentException("the quotas add up to no accelerators");
        }
        this.total = sum;
        this.byIndex = new int[nominal.size()];
        int i = 0;
        for (Map.Entry<String, Integer> e : this.nominal.entrySet()) {
            index.put(e.getKey(), i);
            byIndex[i++] = e.getValue();
        }
    }

    /** Dense number of a tenant (its position in the quota list), -1 when it has no quota. */
    public int index(String tenant) {
        return index.getOrDefault(tenant, -1);
    }

    /** Number of tenants with a quota. */
    public int size() {
        return byIndex.length;
    }

    /** Quota of the tenant numbered {@code i}. */
    public int nominal(int i) {
        return byIndex[i];
    }

    /** One tenant owning the whole cluster. */
    public static Quotas single(int gpus) {
        return new Quotas(Map.of("", gpus));
    }

    public int nominal(String tenant) {
        return nominal.getOrDefault(tenant, 0);
    }

    public int total() {
        return total;
    }

    public Map<String, Integer> all() {
        return Map.copyOf(nominal);
    }

    public boolean known(String tenant) {
        return nominal.containsKey(tenant);
    }
}
