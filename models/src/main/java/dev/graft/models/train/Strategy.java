package dev.graft.models.train;

import dev.graft.models.resnet.StagedNetwork;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Which parameters a transfer run trains. Every strategy trains a freshly initialised head; they differ in the
 * backbone:
 * <ul>
 *   <li>{@code feature-extract}: pretrained backbone, wholly frozen (its BatchNorm layers keep their running
 *       statistics), so only the head learns;</li>
 *   <li>{@code fine-tune}: pretrained backbone, the named stages trainable (default: the last backbone stage),
 *       every other stage frozen;</li>
 *   <li>{@code full}: pretrained backbone, every stage trainable;</li>
 *   <li>{@code scratch}: random initialisation, every stage trainable (no weights are loaded).</li>
 * </ul>
 *
 * @param unfreeze the stages {@code fine-tune} trains; empty for its default and for the other kinds
 */
public record Strategy(Kind kind, List<String> unfreeze) {

    public enum Kind {
        FEATURE_EXTRACT, FINE_TUNE, FULL, SCRATCH;

        /** The command-line spelling: {@code feature-extract}, {@code fine-tune}, {@code full}, {@code scratch}. */
        public String label() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        public static Kind parse(String label) {
            for (Kind k : values()) {
                if (k.label().equals(label)) {
                    return k;
                }
            }
            throw new IllegalArgumentException("unknown strategy '" + label + "'; known: feature-extract, fine-tune, "
                    + "full, scratch");
        }
    }

    public Strategy {
        unfreeze = List.copyOf(unfreeze);
        if (kind != Kind.FINE_TUNE && !unfreeze.isEmpty()) {
            throw new IllegalArgumentException("strategy " + kind.label() + " trains fixed stages; --unfreeze "
                    + unfreeze + " only applies to fine-tune");
        }
    }

    public static Strategy of(Kind kind) {
        return new Strategy(kind, List.of());
    }

    public static Strategy fineTune(String... stages) {
        return new Strategy(Kind.FINE_TUNE, List.of(stages));
    }

    /** Whether the run starts from pretrained weights. */
    public boolean pretrained() {
        return kind != Kind.SCRATCH;
    }

    /**
     * Sets every parameter's trainable flag for this strategy.
     *
     * @return the trainable stages, in forward order
     * @throws IllegalArgumentException for a stage the network does not have, listing its stages
     */
    public List<String> apply(StagedNetwork network) {
        List<String> stages = List.copyOf(network.stages().keySet());
        String head = network.headName();
        List<String> trainable = switch (kind) {
            case FEATURE_EXTRACT -> List.of(head);
            case FULL, SCRATCH -> stages;
            case FINE_TUNE -> {
                List<String> named = unfreeze.isEmpty() ? List.of(stages.get(stages.size() - 2)) : unfreeze;
                for (String s : named) {
                    if (!stages.contains(s)) {
                        throw new IllegalArgumentException("fine-tune: --unfreeze names stage '" + s + "', which "
                                + network.getClass().getSimpleName() + " does not have; its stages are " + stages);
                    }
                }
                List<String> list = new ArrayList<>();
                for (String s : stages) {
                    if (named.contains(s) || s.equals(head)) {
                        list.add(s);
                    }
                }
                yield list;
            }
        };
        for (String s : stages) {
            network.setStageTrainable(s, trainable.contains(s));
        }
        return trainable;
    }

    @Override
    public String toString() {
        return kind == Kind.FINE_TUNE && !unfreeze.isEmpty()
                ? kind.label() + " (" + String.join(",", unfreeze) + ")" : kind.label();
    }
}
