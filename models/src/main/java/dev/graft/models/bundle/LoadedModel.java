package dev.graft.models.bundle;

import dev.graft.models.resnet.StagedNetwork;

import java.util.List;

/**
 * A network with the weights of a file, in training mode, and what is known about it.
 *
 * @param info            architecture, classes, class names and preprocessing; the provenance fields are the
 *                        bundle's own, or null for other files
 * @param inChannels      input channels the network takes
 * @param format          the file's type
 * @param bundle          whether the file is a graft bundle
 * @param replacedKeys    the classifier keys that were dropped and freshly initialised, empty if none
 * @param defaultedKeys   optional keys the file lacks (BatchNorm counters), left at their initial values
 */
public record LoadedModel(StagedNetwork network, BundleMetadata info, int inChannels, CheckpointFormat format,
                          boolean bundle, List<String> replacedKeys, List<String> defaultedKeys) {

    public LoadedModel {
        replacedKeys = List.copyOf(replacedKeys);
        defaultedKeys = List.copyOf(defaultedKeys);
    }

    /** "graft bundle", "PyTorch zip", … for messages. */
    public String source() {
        return bundle ? "graft bundle" : format.toString();
    }
}
