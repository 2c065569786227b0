package dev.graft.kernels;

import static dev.graft.kernels.MultiTensorBatchTest.onDevice;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.engine.DType;
import dev.graft.engine.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The CPU-checkable parts of the optimizer launches: which tensors fuse and how parameters are grouped. */
class CudaOptimizersTest {

    @Test
    void onlyDenseF32DeviceTensorsFuse() {
        Tensor p = onDevice(0x1000, 4, 4);
        assertTrue(CudaOptimizers.fusable(List.of(p), Arrays.asList(onDevice(0x2000, 16), null)));
        Tensor transposed = Tensor.ofStrided(p.storage(), new int[] {4, 4}, new int[] {1, 4}, 0);
        assertFalse(CudaOptimizers.fusable(List.of(p), List.of(transposed)));
        Tensor part = Tensor.ofStrided(p.storage(), new int[] {8}, new int[] {1}, 0);
        assertFalse(CudaOptimizers.fusable(List.of(part)));
        Tensor doubles = Tensor.of(new CudaStorage(null, DType.F64, 4, 0x3000), 4);
        assertFalse(CudaOptimizers.fusable(List.of(p), List.of(doubles)));
        assertFalse(CudaOptimizers.fusable(List.of(p), List.of(Tensor.of(new float[16], 16))), "a CPU tensor");
    }

    @Test
    void groupsKeepFirstAppearanceOrder() {
        long[] steps = {3, 1, 3, 2, 1};
        Map<Long, List<Integer>> g = CudaOptimizers.groups(steps.length, i -> steps[i]);
        assertEquals(List.of(3L, 1L, 2L), List.copyOf(g.keySet()));
        assertEquals(List.of(0, 2), g.get(3L));
        assertEquals(List.of(1, 4), g.get(1L));
        assertEquals(List.of(3), g.get(2L));
    }
}
