package dev.graft.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.engine.DType;
import dev.graft.engine.Tensor;
import org.junit.jupiter.api.Test;

class TensorLaunchTest {

    @Test
    void tensorsStoragesAndNullsBecomeAddresses() {
        CudaStorage s = new CudaStorage(null, DType.F64, 20, 0x8000);
        Tensor view = Tensor.ofStrided(s, new int[] {2, 3}, new int[] {1, 2}, 5);
        byte[] packed = new byte[144];
        Object[] args = TensorLaunch.arguments(view, s, null, 7L, 3, 1.5, 2f, packed);
        assertArrayEquals(new Object[] {0x8000L + 5 * 8, 0x8000L, 0L, 7L, 3, 1.5, 2f, packed}, args);
        assertEquals(Long.class, args[2].getClass(), "a null pointer is a 64-bit zero");
    }

    @Test
    void viewsCarryEachOperandsOffsetAndStrides() {
        CudaStorage s = new CudaStorage(null, DType.F32, 100, 0);
        Tensor a = Tensor.ofStrided(s, new int[] {3, 4}, new int[] {4, 1}, 10);
        Tensor broadcast = Tensor.ofStrided(s, new int[] {3, 4}, new int[] {0, 1}, 50);
        byte[][] v = TensorLaunch.views(a.shape(), a, broadcast);
        assertArrayEquals(ViewArgument.of(new int[] {3, 4}, new long[] {10, 50}, new int[] {4, 1}, new int[] {0, 1})[0],
                v[0]);
        assertArrayEquals(ViewArgument.of(new int[] {3, 4}, new long[] {10, 50}, new int[] {4, 1}, new int[] {0, 1})[1],
                v[1]);
    }

    @Test
    void floatingEntriesRefuseLongs() {
        CudaStorage f = new CudaStorage(null, DType.F32, 4, 0);
        CudaStorage l = new CudaStorage(null, DType.I64, 4, 0);
        assertEquals("a", TensorLaunch.floating("op", Tensor.of(f, 4), "a", "b"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TensorLaunch.floating("sum", Tensor.of(l, 2, 2), "a", "b"));
        assertEquals("sum: needs an F32 or F64 tensor, got I64 [2, 2]", e.getMessage());
    }

    @Test
    void denseMeansTheWholeStorageFromOffsetZero() {
        CudaStorage s = new CudaStorage(null, DType.F32, 12, 0);
        assertTrue(TensorLaunch.dense(Tensor.of(s, 3, 4)));
        assertFalse(TensorLaunch.dense(Tensor.ofStrided(s, new int[] {4, 3}, new int[] {1, 4}, 0)), "transposed");
        assertFalse(TensorLaunch.dense(Tensor.ofStrided(s, new int[] {11}, new int[] {1}, 1)), "offset");
        assertFalse(TensorLaunch.dense(Tensor.ofStrided(s, new int[] {6}, new int[] {1}, 0)), "part of the storage");
    }
}
