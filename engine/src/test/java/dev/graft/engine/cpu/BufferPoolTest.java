package dev.graft.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.engine.ConvGeometry;
import dev.graft.engine.DType;
import dev.graft.engine.Shape;
import dev.graft.engine.Tensor;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Recycling of large F32 arrays once their storage is unreachable, and that results stay right meanwhile. */
class BufferPoolTest {
    /** A size no other test uses, so that arrays recycled elsewhere cannot interfere. */
    private static final int SIZE = BufferPool.MIN_FLOATS + 12_345;

    @Test
    void anUnreachableStoragesArrayComesBackZeroed() throws InterruptedException {
        float[] array = dirtyStorageArray();
        awaitRecycled(SIZE);
        CpuStorage again = CpuStorage.allocate(DType.F32, SIZE);
        assertSame(array, again.f, "the recycled array is handed out again");
        for (float v : again.f) {
            assertEquals(0f, v);
        }
    }

    @Test
    void smallArraysAndWrappedArraysAreNeverRecycled() {
        CpuStorage small = CpuStorage.allocate(DType.F32, BufferPool.MIN_FLOATS - 1);
        float[] mine = new float[SIZE + 1];
        Tensor wrapped = Tensor.of(mine, mine.length);
        assertEquals(BufferPool.MIN_FLOATS - 1, small.size());
        assertEquals(SIZE + 1, wrapped.numel());
        // Nothing of either size was ever owned by the pool, so a request of that size allocates afresh.
        assertNotSame(mine, CpuStorage.allocate(DType.F32, SIZE + 1).f);
    }

    /**
     * Convolutions whose inputs and outputs are pooled, with collections forced between them so that arrays really
     * are recycled while other tensors are in use: every result must still match the F64 reference.
     */
    @Test
    void resultsStayCorrectWhileArraysAreRecycled() throws InterruptedException {
        ConvGeometry g = ConvGeometry.of(new int[] {2, 8, 180, 180}, new int[] {8, 8, 3, 3}, new int[] {1, 1},
                new int[] {1, 1}, new int[] {1, 1}, 1);
        SplittableRandom rnd = new SplittableRandom(7);
        float[] w = new float[Shape.numel(g.weightShape())];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) rnd.nextDouble(-1, 1);
        }
        Tensor weight = Tensor.of(w, g.weightShape());
        assertTrue(Shape.numel(g.outputShape()) >= BufferPool.MIN_FLOATS, "outputs large enough to be pooled");
        long recycledBefore = BufferPool.freeFloats();
        boolean recycled = false;
        for (int round = 0; round < 6; round++) {
            Tensor x = Tensor.of(new float[Shape.numel(g.inputShape())], g.inputShape());
            float[] xs = new float[x.numel()];
            for (int i = 0; i < xs.length; i++) {
                xs[i] = (float) rnd.nextDouble(-1, 1);
            }
            x = x.add(Tensor.of(xs, g.inputShape()));
            Tensor y = CpuBackend.INSTANCE.conv2d(x, weight, null, g);
            Tensor twice = y.add(y);
            System.gc();
            Thread.sleep(20);
            recycled |= BufferPool.freeFloats() > recycledBefore;
            double[] expected = ReferenceConv2d.forward(FloatArrays.widen(xs), FloatArrays.widen(w), null, g);
            float[] actual = twice.toFloatArray();
            for (int i = 0; i < expected.length; i++) {
                assertEquals(2 * expected[i], actual[i], 1e-4 * Math.max(1, Math.abs(expected[i])),
                        "round " + round + " element " + i);
            }
        }
        assertTrue(recycled, "arrays were recycled during the run");
    }

    /** Allocates a pooled storage, dirties it and lets the storage go; returns only its array. */
    private static float[] dirtyStorageArray() {
        CpuStorage s = CpuStorage.allocate(DType.F32, SIZE);
        java.util.Arrays.fill(s.f, 3f);
        return s.f;
    }

    private static void awaitRecycled(int size) throws InterruptedException {
        long before = BufferPool.freeFloats();
        for (int i = 0; i < 200 && BufferPool.freeFloats() < before + size; i++) {
            System.gc();
            Thread.sleep(10);
        }
        assertTrue(BufferPool.freeFloats() >= before + size, "the array was not returned to the pool within 2 s");
    }
}
