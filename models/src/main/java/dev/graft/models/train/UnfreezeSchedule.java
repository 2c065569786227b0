package dev.graft.models.train;

import dev.graft.models.resnet.StagedNetwork;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Gradual unfreezing: {@code "3:layer4,6:layer3"} makes {@code layer4} trainable from epoch 3 on and
 * {@code layer3} from epoch 6 on (epochs counted from 1, as the progress lines show them). The stages join
 * the optimizer's parameter groups they were placed in from the start, so their learning rates follow the same
 * discriminative scaling and schedule as the rest.
 */
public record UnfreezeSchedule(SortedMap<Integer, List<String>> byEpoch) {
    public static final UnfreezeSchedule NONE = new UnfreezeSchedule(new TreeMap<>());

    public UnfreezeSchedule {
        TreeMap<Integer, List<String>> copy = new TreeMap<>();
        byEpoch.forEach((e, s) -> copy.put(e, List.copyOf(s)));
        byEpoch = Collections.unmodifiableSortedMap(copy);
    }

    /** Parses {@code epoch:stage[,epoch:stage…]}; empty or null gives {@link #NONE}. */
    public static UnfreezeSchedule parse(String spec) {
        if (spec == null || spec.isBlank()) {
            return NONE;
        }
        TreeMap<Integer, List<String>> map = new TreeMap<>();
        for (String item : spec.split(",")) {
            String[] parts = item.strip().split(":");
            int epoch;
            try {
                epoch = parts.length == 2 ? Integer.parseInt(parts[0].strip()) : 0;
            } catch (NumberFormatException e) {
                epoch = 0;
            }
            if (epoch < 1 || parts[1].isBlank()) {
                throw new IllegalArgumentException("--unfreeze-schedule: '" + item.strip() + "' is not EPOCH:STAGE with"
                        + " EPOCH >= 1 (e.g. \"3:layer4,6:layer3\")");
            }
            map.computeIfAbsent(epoch, k -> new ArrayList<>()).add(parts[1].strip());
        }
        return new UnfreezeSchedule(map);
    }

    public boolean isEmpty() {
        return byEpoch.isEmpty();
    }

    /** Fails naming the stage when a scheduled one is not a stage of {@code network}. */
    public void check(StagedNetwork network) {
        for (List<String> stages : byEpoch.values()) {
            for (String s : stages) {
                if (!network.stages().containsKey(s)) {
                    throw new IllegalArgumentException("--unfreeze-schedule names stage '" + s + "'; the stages of "
                            + network.getClass().getSimpleName() + " are " + network.stages().keySet());
                }
            }
        }
    }

    /**
     * Makes trainable the stages due at or before {@code epoch} (1-based), so applying it to any epoch yields
     * the state the uninterrupted run has there.
     *
     * @return the stages this call changed from frozen to trainable
     */
    public List<String> applyThrough(int epoch, StagedNetwork network) {
        List<String> changed = new ArrayList<>();
        for (Map.Entry<Integer, List<String>> e : byEpoch.headMap(epoch + 1).entrySet()) {
            for (String s : e.getValue()) {
                if (!network.isStageTrainable(s)) {
                    network.setStageTrainable(s, true);
                    changed.add(s);
                }
            }
        }
        return changed;
    }

    @Override
    public String toString() {
        List<String> items = new ArrayList<>();
        byEpoch.forEach((e, stages) -> stages.forEach(s -> items.add(e + ":" + s)));
        return String.join(",", items);
    }
}
