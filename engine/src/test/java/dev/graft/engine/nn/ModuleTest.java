package dev.graft.engine.nn;

import dev.graft.engine.DType;
import dev.graft.engine.Generator;
import dev.graft.engine.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModuleTest {
    private static final Generator GEN = new Generator(7);

    /** Registers a child before its own parameter and buffer, to pin down PyTorch's ordering rule. */
    private static final class Mixed extends Module {
        Mixed() {
            registerModule("inner", new Linear(2, 2, true, GEN));
            registerParameter("scale", new Parameter(Tensor.ones(2)));
            registerBuffer("count", Tensor.zeros(DType.I64));
            registerParameter("shift", new Parameter(Tensor.zeros(2)));
        }

        @Override
        public Tensor forward(Tensor x) {
            return x;
        }
    }

    @Test
    void basicBlockStateDictHasPyTorchKeysInOrder() {
        var block = new TestModels.Block(4, 8, 2, GEN);
        List<String> expected = List.of(
                "conv1.weight",
                "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var", "bn1.num_batches_tracked",
                "conv2.weight",
                "bn2.weight", "bn2.bias", "bn2.running_mean", "bn2.running_var", "bn2.num_batches_tracked",
                "downsample.0.weight",
                "downsample.1.weight", "downsample.1.bias", "downsample.1.running_mean", "downsample.1.running_var",
                "downsample.1.num_batches_tracked");
        assertEquals(expected, List.copyOf(block.stateDict().keySet()));
    }

    @Test
    void basicBlockParametersBuffersAndModulesAreNamedLikePyTorch() {
        var block = new TestModels.Block(4, 8, 2, GEN);
        assertEquals(List.of("conv1.weight", "bn1.weight", "bn1.bias", "conv2.weight", "bn2.weight", "bn2.bias",
                "downsample.0.weight", "downsample.1.weight", "downsample.1.bias"),
                List.copyOf(block.namedParameters().keySet()));
        assertEquals(List.of("bn1.running_mean", "bn1.running_var", "bn1.num_batches_tracked",
                "bn2.running_mean", "bn2.running_var", "bn2.num_batches_tracked",
                "downsample.1.running_mean", "downsample.1.running_var", "downsample.1.num_batches_tracked"),
                List.copyOf(block.namedBuffers().keySet()));
        assertEquals(List.of("", "conv1", "bn1", "relu", "conv2", "bn2", "downsample", "downsample.0", "downsample.1"),
                List.copyOf(block.namedModules().keySet()));
        assertSame(block, block.namedModules().get(""));
        assertSame(block.bn2, block.namedModules().get("bn2"));
        assertSame(block.conv1.weight(), block.namedParameters().get("conv1.weight"));
        assertEquals(9, block.parameters().size());
    }

    @Test
    void nestedModelStateDictMatchesHandWrittenKeys() {
        var net = new TestModels.TinyResNet(GEN);
        assertEquals(TestModels.tinyResNetStateKeys(), List.copyOf(net.stateDict().keySet()));
    }

    @Test
    void ownParametersThenOwnBuffersThenChildren() {
        var m = new Mixed();
        assertEquals(List.of("scale", "shift", "count", "inner.weight", "inner.bias"), List.copyOf(m.stateDict().keySet()));
        assertEquals(List.of("scale", "shift", "inner.weight", "inner.bias"), List.copyOf(m.namedParameters().keySet()));
    }

    @Test
    void stateDictSharesStorageButRecordsNoHistory() {
        var fc = new Linear(3, 2, true, GEN);
        Tensor w = fc.stateDict().get("weight");
        assertFalse(w.requiresGrad());
        w.fill(0.5);
        assertEquals(0.5, fc.weight().tensor().get(1, 2));
        assertEquals(DType.I64, new BatchNorm2d(3).stateDict().get("num_batches_tracked").dtype());
    }

    @Test
    void registrationRejectsBadAndDuplicateNames() {
        var m = new Mixed();
        var p = new Parameter(Tensor.zeros(1));
        var e = assertThrows(IllegalArgumentException.class, () -> m.registerParameter("a.b", p));
        assertTrue(e.getMessage().contains("Mixed") && e.getMessage().contains("'a.b'"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> m.registerParameter("", p));
        assertThrows(IllegalArgumentException.class, () -> m.registerParameter(null, p));
        assertThrows(IllegalArgumentException.class, () -> m.registerParameter("x", null));
        e = assertThrows(IllegalArgumentException.class, () -> m.registerBuffer("inner", Tensor.zeros(1)));
        assertTrue(e.getMessage().contains("'inner' is already registered"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> m.registerModule("scale", new ReLU()));
        assertThrows(IllegalArgumentException.class, () -> m.registerParameter("count", p));
        e = assertThrows(IllegalArgumentException.class,
                () -> m.registerBuffer("b", Tensor.zeros(1).requiresGrad(true)));
        assertTrue(e.getMessage().contains("must not require grad"), e.getMessage());
    }

    @Test
    void registrationRejectsCycles() {
        var outer = new Sequential(new ReLU());
        var inner = new Sequential();
        outer.add(inner);
        var e = assertThrows(IllegalArgumentException.class, () -> inner.add(outer));
        assertTrue(e.getMessage().contains("its own descendant"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> outer.add(outer));
    }

    @Test
    void sharedParametersAndModulesAreListedOnce() {
        var fc = new Linear(2, 2, false, GEN);
        var net = new Sequential(fc, new ReLU(), fc);
        assertEquals(List.of("0.weight"), List.copyOf(net.namedParameters().keySet()));
        assertEquals(List.of("", "0", "1"), List.copyOf(net.namedModules().keySet()));
        assertEquals(4, net.parameterCount());
        assertEquals(List.of("0.weight", "2.weight"), List.copyOf(net.stateDict().keySet()));
    }

    @Test
    void replaceModuleKeepsPositionAndChangesKeys() {
        var net = new TestModels.TinyResNet(GEN);
        var head = net.replaceModule("fc", new Linear(8, 10, true, GEN));
        assertSame(head, net.namedChildren().get("fc"));
        assertEquals(List.of("conv1", "bn1", "relu", "maxpool", "layer1", "layer4", "avgpool", "fc"),
                List.copyOf(net.namedChildren().keySet()));
        assertArrayEquals(new int[] {10, 8}, net.stateDict().get("fc.weight").shape());
        var e = assertThrows(IllegalArgumentException.class, () -> net.replaceModule("head", new ReLU()));
        assertTrue(e.getMessage().contains("no child module 'head'"), e.getMessage());
        assertThrows(UnsupportedOperationException.class, () -> net.namedChildren().clear());
    }

    @Test
    void trainAndEvalRecurseToEveryDescendant() {
        var net = new TestModels.TinyResNet(GEN);
        assertTrue(net.namedModules().values().stream().allMatch(Module::isTraining));
        assertSame(net, net.eval());
        assertTrue(net.namedModules().values().stream().noneMatch(Module::isTraining));
        net.layer4.train();
        assertFalse(net.isTraining());
        assertTrue(((TestModels.Block) net.layer4.get(0)).downsample.get(1).isTraining());
        assertFalse(net.layer1.get(0).isTraining());
        net.train();
        assertTrue(net.namedModules().values().stream().allMatch(Module::isTraining));
    }

    @Test
    void zeroGradClearsEveryGradient() {
        var net = new Sequential(new Linear(3, 4, true, GEN), new ReLU(), new Linear(4, 1, true, GEN));
        net.forward(Tensor.ones(2, 3)).sum().backward();
        assertTrue(net.parameters().stream().allMatch(p -> p.grad() != null));
        net.zeroGrad();
        net.parameters().forEach(p -> assertNull(p.grad()));
    }

    @Test
    void sequentialIndexesItsLayers() {
        var relu = new ReLU();
        var seq = new Sequential().add(new Identity()).add(relu);
        assertEquals(2, seq.size());
        assertSame(relu, seq.get(1));
        assertEquals(List.of("0", "1"), List.copyOf(seq.namedChildren().keySet()));
        var e = assertThrows(IllegalArgumentException.class, () -> seq.get(2));
        assertTrue(e.getMessage().contains("index 2 out of range for 2"), e.getMessage());
    }

    @Test
    void toStringNestsLikePyTorch() {
        var block = new TestModels.Block(4, 8, 2, GEN);
        String s = block.toString();
        assertTrue(s.startsWith("Block(\n  (conv1): Conv2d(4, 8, kernel_size=[3, 3], stride=[2, 2], padding=[1, 1], bias=false)\n"), s);
        assertTrue(s.contains("  (downsample): Sequential(\n    (0): Conv2d(4, 8, kernel_size=[1, 1]"), s);
        assertTrue(s.contains("(bn2): BatchNorm2d(8, eps=1.0E-5, momentum=0.1, affine=true, track_running_stats=true)"), s);
        assertTrue(s.endsWith("  )\n)"), s);
        assertEquals("ReLU()", new ReLU().toString());
    }
}
