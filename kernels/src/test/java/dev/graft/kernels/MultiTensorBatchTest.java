package dev.graft.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.engine.DType;
import dev.graft.engine.Tensor;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class MultiTensorBatchTest {

    /** A tensor on a CUDA storage that was never allocated (its address is made up; nothing dereferences it). */
    static Tensor onDevice(long address, int... shape) {
        return Tensor.of(new CudaStorage(null, DType.F32, Arrays.stream(shape).reduce(1, (a, b) -> a * b), address),
                shape);
    }

    @Test
    void wordsHoldPointersThenSizesThenTheChunkTable() {
        Tensor[] params = {onDevice(0x1000, 3, 4), onDevice(0x2000, 40_000), onDevice(0x3000, 0)};
        Tensor[] grads = {onDevice(0x4000, 12), onDevice(0x5000, 40_000), onDevice(0x6000, 0)};
        MultiTensorBatch b = MultiTensorBatch.of("sgd", 16_384, params, grads, null);
        long[] w = b.words();
        long[] sizes = {12, 40_000, 0};
        long[] table = TensorChunks.table(sizes, 16_384);
        long[] expected = new long[6 + 3 + table.length];
        long[] head = {0x1000, 0x2000, 0x3000, 0x4000, 0x5000, 0x6000, 12, 40_000, 0};
        System.arraycopy(head, 0, expected, 0, head.length);
        System.arraycopy(table, 0, expected, head.length, table.length);
        assertArrayEquals(expected, w);
        assertEquals(4, b.chunks(), "one chunk for 12 elements, three for 40000, none for the empty tensor");

        long base = 1L << 32;
        assertEquals(base, b.pointers(base, 0));
        assertEquals(base + 3 * 8, b.pointers(base, 1));
        assertEquals(0, b.pointers(base, 2), "an absent list is a null pointer");
        assertEquals(base + 6 * 8, b.sizes(base));
        assertEquals(base + 9 * 8, b.chunkTable(base));
    }

    @Test
    void pointersIncludeTheViewOffset() {
        Tensor whole = onDevice(0x10000, 10);
        Tensor view = Tensor.ofStrided(whole.storage(), new int[] {4}, new int[] {1}, 6);
        MultiTensorBatch b = MultiTensorBatch.of("adam", 4, new Tensor[] {view});
        assertEquals(0x10000 + 6 * Float.BYTES, b.words()[0]);
    }

    @Test
    void mismatchedTensorsAreNamed() {
        Tensor[] params = {onDevice(0x1000, 3, 4)};
        IllegalArgumentException size = assertThrows(IllegalArgumentException.class,
                () -> MultiTensorBatch.of("adam", 64, params, new Tensor[] {onDevice(0x2000, 11)}));
        assertTrue(size.getMessage().startsWith("adam: tensor 0 of list 1 has shape [11]"), size.getMessage());
        IllegalArgumentException count = assertThrows(IllegalArgumentException.class,
                () -> MultiTensorBatch.of("sgd", 64, params, new Tensor[0]));
        assertTrue(count.getMessage().contains("list 1 has 0 tensors"), count.getMessage());
    }
}
