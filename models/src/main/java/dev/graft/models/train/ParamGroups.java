package dev.graft.models.train;

import dev.graft.engine.nn.Parameter;
import dev.graft.engine.optim.ParamGroup;
import dev.graft.models.resnet.StagedNetwork;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The optimizer's parameter groups of a transfer run: one or two per stage, holding every parameter (frozen
 * ones too, which the optimizer skips while they have no gradient, so gradual unfreezing needs no new groups).
 *
 * <p>Learning rates (discriminative, timm's layer-wise decay): the head trains at {@code lr}; backbone stage
 * {@code i} of {@code S} (stem = 0) at {@code lr · backboneLrMult · layerDecay^(S − i)}, so the stage next to the
 * head is scaled by {@code layerDecay} once and the stem {@code S} times.
 *
 * <p>Weight decay: parameters of one dimension or none (biases, BatchNorm scales and shifts) go to a
 * {@code .no_decay} group without it unless {@code decayNormAndBias}, as timm and most fine-tuning recipes do.
 */
final class ParamGroups {
    private ParamGroups() {
    }

    static List<ParamGroup> build(StagedNetwork network, double lr, double weightDecay, double backboneLrMult,
                                  double layerDecay, boolean decayNormAndBias) {
        if (!(lr > 0) || !(weightDecay >= 0) || !(backboneLrMult >= 0) || !(layerDecay > 0 && layerDecay <= 1)) {
            throw new IllegalArgumentException("parameter groups: need lr > 0, weight decay >= 0, backbone lr mult >= 0"
                    + " and layer decay in (0, 1], got " + lr + ", " + weightDecay + ", " + backboneLrMult + ", "
                    + layerDecay);
        }
        List<String> stages = List.copyOf(network.stages().keySet());
        int backbone = stages.size() - 1;
        List<ParamGroup> groups = new ArrayList<>();
        for (int i = 0; i < stages.size(); i++) {
            String stage = stages.get(i);
            double scale = i == backbone ? 1 : backboneLrMult * Math.pow(layerDecay, backbone - i);
            Map<String, Parameter> decay = new LinkedHashMap<>();
            Map<String, Parameter> noDecay = new LinkedHashMap<>();
            network.stageParameters(stage).forEach((name, p) ->
                    (decayNormAndBias || p.tensor().dim() > 1 ? decay : noDecay).put(name, p));
            if (!decay.isEmpty()) {
                groups.add(new ParamGroup(stage, decay, lr * scale, weightDecay));
            }
            if (!noDecay.isEmpty()) {
                groups.add(new ParamGroup(stage + ".no_decay", noDecay, lr * scale, 0));
            }
        }
        return groups;
    }
}
