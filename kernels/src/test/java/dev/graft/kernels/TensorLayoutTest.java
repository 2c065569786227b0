package dev.graft.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.engine.DType;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** The dims and strides handed to cuDNN's tensor descriptors. */
class TensorLayoutTest {

    @Test
    void packedStridesAreRowMajor() {
        TensorLayout l = TensorLayout.packed(2, 3, 4, 5);
        assertArrayEquals(new int[] {2, 3, 4, 5}, l.dims());
        assertArrayEquals(new int[] {60, 20, 5, 1}, l.strides());
        assertEquals(l, TensorLayout.packed(new int[] {2, 3, 4, 5}));
        assertNotEquals(l, TensorLayout.packed(2, 3, 5, 4));
    }

    @Test
    void perChannelValuesAreOneByCByOneByOne() {
        TensorLayout l = TensorLayout.channels(7);
        assertArrayEquals(new int[] {1, 7, 1, 1}, l.dims());
        assertArrayEquals(new int[] {7, 1, 1, 1}, l.strides());
    }

    @Test
    void batchNormFoldsEveryTrailingDimensionIntoH() {
        assertArrayEquals(new int[] {8, 16, 1, 1}, TensorLayout.batchNorm(new int[] {8, 16}).dims());
        assertArrayEquals(new int[] {2, 3, 5, 1}, TensorLayout.batchNorm(new int[] {2, 3, 5}).dims());
        assertArrayEquals(new int[] {4, 6, 35, 1}, TensorLayout.batchNorm(new int[] {4, 6, 5, 7}).dims());
        assertArrayEquals(new int[] {2, 3, 120, 1}, TensorLayout.batchNorm(new int[] {2, 3, 4, 5, 6}).dims());
        assertArrayEquals(new int[] {16, 1, 1, 1}, TensorLayout.batchNorm(new int[] {8, 16}).strides());
    }

    /** Element (n, c, r) of the folded layout is where row-major order puts element (n, c, r-th of the rest). */
    @Property(tries = 200)
    void foldedOffsetsAreTheRowMajorOffsetsOfTheInput(@ForAll @IntRange(min = 1, max = 5) int n,
            @ForAll @IntRange(min = 1, max = 6) int c, @ForAll @IntRange(min = 1, max = 4) int h,
            @ForAll @IntRange(min = 1, max = 4) int w, @ForAll @IntRange(min = 1, max = 3) int d) {
        int[] shape = {n, c, h, w, d};
        int[] s = TensorLayout.batchNorm(shape).strides();
        int rest = h * w * d;
        for (int in = 0; in < n; in++) {
            for (int ic = 0; ic < c; ic++) {
                for (int ih = 0; ih < h; ih++) {
                    for (int iw = 0; iw < w; iw++) {
                        for (int id = 0; id < d; id++) {
                            int rowMajor = (((in * c + ic) * h + ih) * w + iw) * d + id;
                            int r = (ih * w + iw) * d + id;
                            assertEquals(rowMajor, in * s[0] + ic * s[1] + r * s[2]);
                            assertTrue(r < rest);
                        }
                    }
                }
            }
        }
    }

    @Test
    void badShapesAreRefusedWithTheirValues() {
        IllegalArgumentException rank = assertThrows(IllegalArgumentException.class,
                () -> TensorLayout.batchNorm(new int[] {5}));
        assertTrue(rank.getMessage().contains("batch_norm") && rank.getMessage().contains("5"), rank.getMessage());
        IllegalArgumentException empty = assertThrows(IllegalArgumentException.class,
                () -> TensorLayout.packed(2, 0, 3, 3));
        assertTrue(empty.getMessage().contains("[2, 0, 3, 3]"), empty.getMessage());
        assertThrows(IllegalArgumentException.class, () -> TensorLayout.packed(new int[] {2, 3, 4}));
    }

    /** Values of cudnnDataType_t in cudnn_graph.h (cuDNN 9): FLOAT 0, DOUBLE 1. */
    @Test
    void dataTypesAreCudnnsNumbers() {
        assertEquals(0, TensorLayout.dataType(DType.F32));
        assertEquals(1, TensorLayout.dataType(DType.F64));
        assertThrows(IllegalArgumentException.class, () -> TensorLayout.dataType(DType.I64));
    }
}
