package io.puhui.scheduler;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The typical tasks of a workload with their frequencies: the most common shapes that together make up a given
 * share of all tasks (95 % by default), renormalised to sum to one. Fragmentation is measured against this mix.
 *
 * @param shapes      the typical shapes, most frequent first
 * @param frequencies the share of each shape, summing to one
 */
public record TaskMix(List<TaskShape> shapes, double[] frequencies) {

    public static final double DEFAULT_COVERAGE = 0.95;

    public TaskMix {
        shapes = List.copyOf(shapes);
        frequencies = frequencies.clone();
        if (shapes.size() != frequencies.length || shapes.isEmpty()) {
            throw new IllegalArgumentException("a task mix needs one frequency per shape, and at least one shape");
        }
    }

    public static TaskMix of(List<Task> workload) {
        return of(workload, DEFAULT_COVERAGE);
    }

    /**
     * The shapes of {@code workload} by decreasing count (ties: larger shape first), taken until they cover
     * {@code coverage} of the tasks; the shape that crosses the line is included.
     */
    public static TaskMix of(List<Task> workload, double coverage) {
        if (workload.isEmpty()) {
            throw new IllegalArgumentException("cannot derive typical tasks from an empty workload");
        }
        Map<TaskShape, Integer> counts = new HashMap<>();
        for (Task t : workload) {
            counts.merge(t.shape(), 1, Integer::sum);
        }
        List<Map.Entry<TaskShape, Integer>> sorted = new ArrayList<>(counts.entrySet());
        sorted.sort(Map.Entry.<TaskShape, Integer>comparingByValue()
                .thenComparing(Map.Entry.comparingByKey(TaskShape.ORDER)).reversed());
        double total = workload.size();
        double wanted = coverage * total;
        double covered = 0;
        List<TaskShape> shapes = new ArrayList<>();
        List<Double> counted = new ArrayList<>();
        for (Map.Entry<TaskShape, Integer> e : sorted) {
            if (covered >= wanted) {
                break;
            }
            shapes.add(e.getKey());
            counted.add((double) e.getValue());
            covered += e.getValue();
        }
        double[] freq = new double[shapes.size()];
        for (int i = 0; i < freq.length; i++) {
            // Same two steps as dividing by the total and then by the covered fraction.
            freq[i] = counted.get(i) / total / (covered / total);
        }
        return new TaskMix(shapes, freq);
    }

    public int size() {
        return shapes.size();
    }
}
