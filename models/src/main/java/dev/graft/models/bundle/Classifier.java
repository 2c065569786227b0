package dev.graft.models.bundle;

import dev.graft.engine.nn.Module;
import dev.graft.models.resnet.StagedNetwork;

import java.util.List;

/**
 * A network's classification head as a loader sees it: the state-dict keys under the head's name
 * ({@code fc.weight}, {@code fc.bias} in torchvision's naming) and the key of its last Linear layer's weight,
 * whose rows are the classes.
 */
record Classifier(String name, Module head, String weightKey, int outputs) {

    static Classifier of(StagedNetwork network) {
        String name = network.headName();
        String linear = network.head().namedModules().entrySet().stream()
                .filter(e -> e.getValue() == network.classifier())
                .map(e -> e.getKey().isEmpty() ? name : name + "." + e.getKey())
                .findFirst().orElseThrow();
        return new Classifier(name, network.head(), linear + ".weight", network.numClasses());
    }

    /** The head's state-dict keys, in order. */
    List<String> keys() {
        return head.stateDict().keySet().stream().map(k -> name + "." + k).toList();
    }
}
