package dev.graft.models.resnet;

import dev.graft.engine.Generator;
import dev.graft.engine.Tensor;
import dev.graft.engine.nn.BatchNorm2d;
import dev.graft.engine.nn.Dropout;
import dev.graft.engine.nn.Linear;
import dev.graft.engine.nn.Module;
import dev.graft.engine.nn.Parameter;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.SequencedMap;

/**
 * A network made of named stages in forward order (the stem, the residual stages, the classifier head) that
 * transfer learning freezes and unfreezes as units. A stage is a list of globs over the dotted parameter names
 * (see {@link Module#setTrainable}); together the stages cover every parameter exactly once.
 *
 * <p>The network is a backbone that ends in pooled features and a classifier head, the last stage, registered
 * as the child module of the same name: {@code forward(x) = head(features(x))}.
 */
public abstract sealed class StagedNetwork extends Module permits ResNet, CifarResNet {
    private final SequencedMap<String, List<String>> stages = new LinkedHashMap<>();
    private final String headName;
    private final int featureDim;
    private HeadSpec headSpec = HeadSpec.LINEAR;

    /** @param headName the name of the head: the last stage and its child module */
    StagedNetwork(String headName, int featureDim) {
        this.headName = headName;
        this.featureDim = featureDim;
    }

    /** The pooled, flattened backbone output [N, featureDim()] that the head classifies: an image's embedding. */
    public abstract Tensor features(Tensor x);

    @Override
    public final Tensor forward(Tensor x) {
        return head().forward(features(x));
    }

    /** Registers the head under its name as the last stage; subclasses call this after the backbone. */
    final void defineHead(Module head) {
        registerModule(headName, head);
        defineStage(headName, headName + ".**");
    }

    /** The head stage's (and child module's) name: {@code fc} for ResNets, {@code linear} for CIFAR ResNets. */
    public final String headName() {
        return headName;
    }

    public final Module head() {
        return namedChildren().get(headName);
    }

    public final HeadSpec headSpec() {
        return headSpec;
    }

    /** Width of {@link #features}. */
    public final int featureDim() {
        return featureDim;
    }

    /** The head's last Linear layer, whose rows are the classes. */
    public final Linear classifier() {
        Linear last = null;
        for (Module m : head().namedModules().values()) {
            if (m instanceof Linear l) {
                last = l;
            }
        }
        if (last == null) {
            throw new IllegalStateException(getClass().getSimpleName() + ": head '" + headName + "' has no Linear layer");
        }
        return last;
    }

    public final int numClasses() {
        return classifier().outFeatures();
    }

    /**
     * Replaces the head by a freshly initialised one of {@code spec}'s shape with {@code classes} outputs; it is
     * trainable whatever the old head's flags were.
     */
    public final void replaceHead(HeadSpec spec, int classes, Generator gen) {
        if (classes < 1) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": a head needs >= 1 classes, got " + classes);
        }
        replaceModule(headName, spec.build(featureDim, classes, gen));
        headSpec = spec;
    }

    /** Reseeds the head's dropout masks (a run reseeds per epoch so that a resumed run draws the same masks). */
    public final void reseedDropout(long seed) {
        head().namedModules().values().forEach(m -> {
            if (m instanceof Dropout d) {
                d.reseed(seed);
            }
        });
    }

    /** Declares the next stage; subclasses call this in forward order. */
    final void defineStage(String name, String... globs) {
        stages.put(name, List.of(globs));
    }

    /** Stage name → parameter globs, stem first and head last. */
    public final SequencedMap<String, List<String>> stages() {
        return Collections.unmodifiableSequencedMap(stages);
    }

    /** The parameters of one stage under their dotted names, in registration order. */
    public final LinkedHashMap<String, Parameter> stageParameters(String stage) {
        checkStage(stage);
        LinkedHashMap<String, Parameter> out = new LinkedHashMap<>();
        for (String glob : stages.get(stage)) {
            out.putAll(namedParameters(glob));
        }
        return out;
    }

    /** Whether every parameter of {@code stage} is trainable. */
    public final boolean isStageTrainable(String stage) {
        return stageParameters(stage).values().stream().allMatch(Parameter::isTrainable);
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
