package dev.graft.models.resnet;

import dev.graft.engine.nn.BatchNorm2d;
import dev.graft.engine.nn.Module;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.SequencedMap;

/**
 * A network made of named stages in forward order (the stem, the residual stages, the classifier head) that
 * transfer learning freezes and unfreezes as units. A stage is a list of globs over the dotted parameter names
 * (see {@link Module#setTrainable}); together the stages cover every parameter exactly once.
 */
public abstract sealed class StagedNetwork extends Module permits ResNet, CifarResNet {
    private final SequencedMap<String, List<String>> stages = new LinkedHashMap<>();

    StagedNetwork() {
    }

    /** Declares the next stage; subclasses call this in forward order. */
    final void defineStage(String name, String... globs) {
        stages.put(name, List.of(globs));
    }

    /** Stage name → parameter globs, stem first and head last. */
    public final SequencedMap<String, List<String>> stages() {
        return Collections.unmodifiableSequencedMap(stages);
    }

    /**
     * Freezes every stage from the first up to and including {@code stage}; later stages keep their flags.
     *
     * @return the number of parameter tensors frozen
     */
    public final int freezeStagesThrough(String stage) {
        checkStage(stage);
        int count = 0;
        for (var e : stages.entrySet()) {
            count += setTrainable(e.getValue(), false);
            if (e.getKey().equals(stage)) {
                break;
            }
        }
        return count;
    }

    /**
     * Freezes or unfreezes one stage.
     *
     * @return the number of parameter tensors changed
     */
    public final int setStageTrainable(String stage, boolean trainable) {
        checkStage(stage);
        return setTrainable(stages.get(stage), trainable);
    }

    private int setTrainable(List<String> globs, boolean trainable) {
        return globs.stream().mapToInt(g -> setTrainable(g, trainable)).sum();
    }

    private void checkStage(String stage) {
        if (!stages.containsKey(stage)) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": unknown stage '" + stage
                    + "'; stages are " + stages.keySet());
        }
    }

    /**
     * State-dict keys that a checkpoint may lack: the BatchNorm {@code num_batches_tracked} counters, which
     * PyTorch added in 0.4.1 and older checkpoints (the public CIFAR ResNets among them) do not have. They only
     * count batches for a cumulative-average momentum, which these networks do not use, so a loader that
     * finds them missing can keep the current values.
     */
    public final List<String> optionalStateKeys() {
        List<String> keys = new ArrayList<>();
        namedModules().forEach((name, m) -> {
            if (m instanceof BatchNorm2d bn && bn.numBatchesTracked() != null) {
                keys.add(name + ".num_batches_tracked");
            }
        });
        return keys;
    }
}
