package dev.graft.engine.optim;

import dev.graft.engine.Functional;
import dev.graft.engine.Generator;
import dev.graft.engine.Reduction;
import dev.graft.engine.SafetensorsCases;
import dev.graft.engine.Tensor;
import dev.graft.engine.TestBackend;
import dev.graft.engine.nn.AdaptiveAvgPool2d;
import dev.graft.engine.nn.BatchNorm2d;
import dev.graft.engine.nn.Conv2d;
import dev.graft.engine.nn.Flatten;
import dev.graft.engine.nn.Linear;
import dev.graft.engine.nn.MaxPool2d;
import dev.graft.engine.nn.Parameter;
import dev.graft.engine.nn.ReLU;
import dev.graft.engine.nn.Sequential;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The CNN of {@code cnn.safetensors} (see make_optim_fixtures.py) built from graft's modules with the fixture's
 * initial weights, its batch, and the two parameter groups its cases use.
 */
final class SmallCnn {
    static final SafetensorsCases FIXTURE = SafetensorsCases.load("cnn.safetensors");
    static final List<String> HEAD = List.of("9.weight", "9.bias");

    private SmallCnn() {
    }

    /**
     * conv-bn-relu-maxpool-conv-bn-relu-avgpool-flatten-linear with the fixture's initial state, train mode, on the
     * backend under test.
     */
    static Sequential build() {
        Generator gen = new Generator(1);
        Sequential net = new Sequential(new Conv2d(3, 4, 3, 1, 1, false, gen), new BatchNorm2d(4), new ReLU(),
                new MaxPool2d(2), new Conv2d(4, 8, 3, 1, 1, false, gen), new BatchNorm2d(8), new ReLU(),
                new AdaptiveAvgPool2d(1), new Flatten(), new Linear(8, 3, true, gen));
        net.loadStateDict(FIXTURE.shared("init/"), true);
        net.to(TestBackend.BACKEND);
        return net;
    }

    /** Cross entropy of the net on the fixture's batch. */
    static Tensor loss(Sequential net) {
        return Functional.crossEntropy(net.forward(TestBackend.on(FIXTURE.sharedTensor("x"))),
                TestBackend.on(FIXTURE.sharedTensor("target")), null, 0, Reduction.MEAN);
    }

    /** "features" (every parameter but the head) and "head", with the case's lr_* and wd_* arguments. */
    static List<ParamGroup> groups(Sequential net, SafetensorsCases.Case c) {
        return groups(net, c.real("lr_features"), c.real("wd_features"), c.real("lr_head"), c.real("wd_head"));
    }

    static List<ParamGroup> groups(Sequential net, double lrFeatures, double wdFeatures, double lrHead, double wdHead) {
        Map<String, Parameter> features = new LinkedHashMap<>(net.namedParameters());
        Map<String, Parameter> head = new LinkedHashMap<>();
        HEAD.forEach(name -> head.put(name, features.remove(name)));
        return List.of(new ParamGroup("features", features, lrFeatures, wdFeatures),
                new ParamGroup("head", head, lrHead, wdHead));
    }

    /** The optimizer a case names with its hyper-parameters. */
    static Optimizer optimizer(List<ParamGroup> groups, SafetensorsCases.Case c) {
        return switch (c.arg("op")) {
            case "sgd" -> new Sgd(groups, c.real("momentum"), c.real("dampening"), c.flag("nesterov"));
            case "adam" -> new Adam(groups, c.real("beta1"), c.real("beta2"), c.real("eps"));
            case "adamw" -> new AdamW(groups, c.real("beta1"), c.real("beta2"), c.real("eps"));
            default -> throw new IllegalArgumentException(c.name() + ": unknown optimizer " + c.arg("op"));
        };
    }

    /** One training step as PyTorch's script takes it: drop gradients, forward, backward, update. */
    static void trainStep(Sequential net, Optimizer optimizer) {
        optimizer.zeroGrad();
        loss(net).backward();
        optimizer.step();
    }
}
