package dev.graft.engine.nn;

import dev.graft.engine.DType;
import dev.graft.engine.Generator;
import dev.graft.engine.Tensor;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StateDictTest {
    private static TestModels.TinyResNet net(long seed) {
        return new TestModels.TinyResNet(new Generator(seed));
    }

    /** Deep copies, so later writes to the source model cannot leak into the dict. */
    private static Map<String, Tensor> copyOf(Map<String, Tensor> state) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        state.forEach((k, t) -> out.put(k, Tensor.zeros(t.dtype(), t.shape()).copyFrom(t)));
        return out;
    }

    private static void assertSameState(Module expected, Module actual) {
        var a = expected.stateDict();
        var b = actual.stateDict();
        assertEquals(List.copyOf(a.keySet()), List.copyOf(b.keySet()));
        a.forEach((k, t) -> assertArrayEquals(t.toDoubleArray(), b.get(k).toDoubleArray(), k));
    }

    @Test
    void strictRoundTripCopiesEveryTensorInPlace() {
        var source = net(1);
        source.bn1.runningMean().fill(0.25);
        source.layer4.get(0).stateDict().get("bn2.num_batches_tracked").fill(7);
        var target = net(2);
        Tensor weightBefore = target.conv1.weight().tensor();
        var result = target.loadStateDict(copyOf(source.stateDict()), true);
        assertEquals(new Module.LoadResult(List.of(), List.of()), result);
        assertSameState(source, target);
        assertSame(weightBefore, target.conv1.weight().tensor(), "loading writes into the existing tensors");
        assertTrue(target.conv1.weight().tensor().requiresGrad(), "parameters stay trainable leaves");
        assertEquals(7, target.stateDict().get("layer4.0.bn2.num_batches_tracked").item());
    }

    @Test
    void loadingConvertsDtypes() {
        var bn = new BatchNorm2d(2);
        Map<String, Tensor> state = new LinkedHashMap<>();
        state.put("weight", Tensor.of(new double[] {2, 3}, 2));
        state.put("bias", Tensor.of(new double[] {-1, 1}, 2));
        state.put("running_mean", Tensor.of(new double[] {0.5, 0.25}, 2));
        state.put("running_var", Tensor.of(new double[] {4, 9}, 2));
        state.put("num_batches_tracked", Tensor.ofLongs(new long[] {12}));
        bn.loadStateDict(state, true);
        assertEquals(DType.F32, bn.weight().tensor().dtype());
        assertArrayEquals(new double[] {2, 3}, bn.weight().tensor().toDoubleArray());
        assertArrayEquals(new double[] {4, 9}, bn.runningVar().toDoubleArray());
        assertEquals(DType.I64, bn.numBatchesTracked().dtype());
        assertEquals(12, bn.numBatchesTracked().item());
        assertArrayEquals(new int[0], bn.numBatchesTracked().shape());
    }

    @Test
    void strictErrorListsEveryMissingUnexpectedAndMismatchedKey() {
        var target = net(2);
        Map<String, Tensor> state = copyOf(net(1).stateDict());
        state.remove("fc.bias");
        state.remove("layer1.0.bn1.running_var");
        state.put("fc.extra", Tensor.zeros(3));
        state.put("head.weight", Tensor.zeros(3, 8));
        state.put("fc.weight", Tensor.zeros(10, 8));
        state.put("conv1.weight", Tensor.zeros(4, 3, 7, 7));
        var before = copyOf(target.stateDict());

        var e = assertThrows(IllegalArgumentException.class, () -> target.loadStateDict(state, true));
        String msg = e.getMessage();
        assertTrue(msg.contains("TinyResNet"), msg);
        assertTrue(msg.contains("missing keys (2): [layer1.0.bn1.running_var, fc.bias]"), msg);
        assertTrue(msg.contains("unexpected keys (2): [fc.extra, head.weight]"), msg);
        assertTrue(msg.contains("size mismatch for conv1.weight: expected shape [4, 3, 3, 3], found [4, 3, 7, 7]"), msg);
        assertTrue(msg.contains("size mismatch for fc.weight: expected shape [3, 8], found [10, 8]"), msg);
        target.stateDict().forEach((k, t) -> assertArrayEquals(before.get(k).toDoubleArray(), t.toDoubleArray(),
                "no partial load: " + k));
    }

    @Test
    void nonStrictReportsMissingAndUnexpectedKeys() {
        var source = net(1);
        var target = net(2);
        Map<String, Tensor> state = copyOf(source.stateDict());
        state.remove("fc.weight");
        state.remove("fc.bias");
        state.put("classifier.weight", Tensor.zeros(5, 8));
        Tensor fcBefore = Tensor.zeros(3, 8).copyFrom(target.fc.weight().tensor());

        var result = target.loadStateDict(state, false);
        assertEquals(List.of("fc.weight", "fc.bias"), result.missing());
        assertEquals(List.of("classifier.weight"), result.unexpected());
        assertArrayEquals(source.conv1.weight().tensor().toDoubleArray(), target.conv1.weight().tensor().toDoubleArray());
        assertArrayEquals(fcBefore.toDoubleArray(), target.fc.weight().tensor().toDoubleArray());
        assertThrows(IllegalArgumentException.class, () -> target.loadStateDict(state, true));
    }

    @Test
    void shapeMismatchThrowsEvenWhenNotStrictAndChangesNothing() {
        var target = net(2);
        Map<String, Tensor> state = copyOf(net(1).stateDict());
        state.put("fc.weight", Tensor.zeros(10, 8));
        state.remove("fc.bias");
        var before = copyOf(target.stateDict());
        var e = assertThrows(IllegalArgumentException.class, () -> target.loadStateDict(state, false));
        assertTrue(e.getMessage().contains("size mismatch for fc.weight: expected shape [3, 8], found [10, 8]"),
                e.getMessage());
        assertFalse(e.getMessage().contains("missing"), "missing keys are no error when not strict");
        target.stateDict().forEach((k, t) -> assertArrayEquals(before.get(k).toDoubleArray(), t.toDoubleArray(), k));
    }

    @Test
    void nullValuesAreReportedNotDereferenced() {
        var fc = new Linear(2, 2, true, new Generator(1));
        Map<String, Tensor> state = new LinkedHashMap<>(copyOf(fc.stateDict()));
        state.put("bias", null);
        var e = assertThrows(IllegalArgumentException.class, () -> fc.loadStateDict(state, false));
        assertTrue(e.getMessage().contains("bias: value is null"), e.getMessage());
    }

    @Test
    void stateDictReturnsFreshDetachedViews() {
        var fc = new Linear(2, 2, true, new Generator(1));
        Tensor a = fc.stateDict().get("weight");
        assertNotSame(fc.weight().tensor(), a);
        assertFalse(a.requiresGrad());
        assertEquals(fc.weight().tensor().storage(), a.storage());
    }
}
