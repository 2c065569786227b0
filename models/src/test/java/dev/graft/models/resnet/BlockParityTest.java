package dev.graft.models.resnet;

import dev.graft.engine.Generator;
import dev.graft.engine.NoGrad;
import dev.graft.engine.Tensor;
import dev.graft.engine.nn.Module;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * graft's blocks and the whole CIFAR ResNet-20 against PyTorch in evaluation mode, with random weights and
 * random BatchNorm statistics loaded through {@link Module#loadStateDict}: every output element within
 * {@code 1e-4 · max|reference|}.
 */
class BlockParityTest {
    private static final double RELATIVE_TOLERANCE = 1e-4;
    private static final List<String> STEM = List.of("conv1", "bn1", "relu", "maxpool");

    @TestFactory
    Stream<DynamicTest> matchesPyTorch() {
        return ModelFixtures.parityCases().stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> check(c)));
    }

    /** A fixture regenerated without some case would otherwise leave it silently untested. */
    @Test
    void fixturesHoldEveryCase() {
        assertEquals(List.of("stem", "basic_block_down", "resnext_bottleneck", "wide_bottleneck_down",
                "cifar_resnet20"), ModelFixtures.parityCases().stream().map(ModelFixtures.Case::name).toList());
    }

    private static void check(ModelFixtures.Case c) {
        Module module = build(c);
        // The stem's state is a subset of a whole ResNet's; every other case must match key for key.
        Module.LoadResult loaded = module.loadStateDict(c.state(), !c.kind().equals("stem"));
        assertEquals(List.of(), loaded.unexpected(), c.name() + ": unexpected keys");
        module.eval();
        Tensor out;
        try (var _ = NoGrad.enter()) {
            out = c.kind().equals("stem") ? forwardStem(module, c.input()) : module.forward(c.input());
        }
        assertArrayEquals(c.expected().shape(), out.shape(), c.name() + ": output shape");
        float[] ref = c.expected().toFloatArray();
        float[] got = out.toFloatArray();
        double maxRef = 0;
        double maxErr = 0;
        for (int i = 0; i < ref.length; i++) {
            maxRef = Math.max(maxRef, Math.abs(ref[i]));
            maxErr = Math.max(maxErr, Math.abs((double) got[i] - ref[i]));
        }
        double relative = maxErr / maxRef;
        System.out.printf("BlockParityTest %s: max|ref| %.4g, max|Δ| %.3g, relative %.3g%n", c.name(), maxRef, maxErr,
                relative);
        assertTrue(relative <= RELATIVE_TOLERANCE, c.name() + ": max|Δ| " + maxErr + " exceeds "
                + RELATIVE_TOLERANCE + " · max|ref| " + maxRef);
    }

    private static Module build(ModelFixtures.Case c) {
        Generator gen = new Generator(3);
        return switch (c.kind()) {
            case "stem" -> ResNet.resnet18(1000, 3, gen);
            case "basic_block" -> {
                int in = c.integer("inplanes");
                int planes = c.integer("planes");
                int stride = c.integer("stride");
                yield new BasicBlock(in, planes, stride, "downsample",
                        c.flag("downsample") ? ResNet.downsample(in, planes, stride, gen) : null, gen);
            }
            case "bottleneck" -> {
                int in = c.integer("inplanes");
                int planes = c.integer("planes");
                int stride = c.integer("stride");
                yield new Bottleneck(in, planes, stride,
                        c.flag("downsample") ? ResNet.downsample(in, planes * Bottleneck.EXPANSION, stride, gen) : null,
                        c.integer("groups"), c.integer("width_per_group"), gen);
            }
            case "cifar_resnet" -> CifarResNet.of(c.integer("depth"), c.expected().size(1), 3, gen);
            default -> throw new IllegalArgumentException(c.name() + ": unknown fixture kind " + c.kind());
        };
    }

    /** Runs a ResNet's stem through its named children, which also proves they exist under torchvision's names. */
    private static Tensor forwardStem(Module net, Tensor x) {
        Tensor out = x;
        for (String name : STEM) {
            out = net.namedChildren().get(name).forward(out);
        }
        return out;
    }
}
