package dev.graft.models.bundle;

import dev.graft.engine.nn.Linear;
import dev.graft.engine.nn.Module;
import dev.graft.models.resnet.StagedNetwork;

import java.util.List;
import java.util.Map;

/**
 * A network's classification head: its Linear layer, found by type because ResNets have exactly one, and
 * the state-dict keys of that layer ({@code fc.weight}, {@code fc.bias} in torchvision's naming).
 */
record Classifier(String name, Linear layer) {

    static Classifier of(StagedNetwork network) {
        List<Map.Entry<String, Module>> linears = network.namedModules().entrySet().stream()
                .filter(e -> e.getValue() instanceof Linear)
                .toList();
        if (linears.size() != 1) {
            throw new IllegalStateException(network.getClass().getSimpleName() + " has " + linears.size()
                    + " Linear layers; a classifier head is one Linear layer");
        }
        return new Classifier(linears.getFirst().getKey(), (Linear) linears.getFirst().getValue());
    }

    /** The head's state-dict keys, in order. */
    List<String> keys() {
        return layer.stateDict().keySet().stream().map(k -> name + "." + k).toList();
    }

    /** The key of the weight matrix, whose rows are the classes. */
    String weightKey() {
        return name + ".weight";
    }

    int outputs() {
        return layer.outFeatures();
    }
}
