package dev.graft.engine;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Values of creation, views, broadcasting, reductions, matmul and joins against hand-computed results. */
class TensorTest {
    private static Tensor t(double[] v, int... shape) {
        return Tensor.of(v, shape);
    }

    private static double[] seq(int n) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = i;
        }
        return v;
    }

    @Test
    void creationFillsValues() {
        assertArrayEquals(new double[] {0, 0, 0}, Tensor.zeros(3).toDoubleArray());
        assertArrayEquals(new double[] {1, 1}, Tensor.ones(2).toDoubleArray());
        assertArrayEquals(new double[] {2.5, 2.5}, Tensor.full(2.5, 2).toDoubleArray());
        assertArrayEquals(new double[] {1, 1.5, 2, 2.5}, Tensor.arange(1, 3, 0.5).toDoubleArray());
        assertArrayEquals(new double[] {5, 3}, Tensor.arange(5, 1, -2).toDoubleArray());
        assertArrayEquals(new long[] {0, 1, 2}, Tensor.arange(DType.I64, 0, 3, 1).toLongArray());
        assertEquals(DType.F32, Tensor.zeros(1).dtype());
        assertEquals(DType.F64, t(new double[] {1}, 1).dtype());
    }

    @Test
    void seededRandomIsReproducibleAndPlausible() {
        Tensor a = Tensor.randn(new Generator(7), 10000);
        Tensor b = Tensor.randn(new Generator(7), 10000);
        assertArrayEquals(a.toFloatArray(), b.toFloatArray());
        assertEquals(0, a.mean().item(), 0.05);
        assertEquals(1, a.pow(2).mean().item(), 0.05);
        Tensor u = Tensor.rand(new Generator(1), 10000);
        assertEquals(0.5, u.mean().item(), 0.02);
        assertTrue(u.max().item() < 1);
    }

    @Test
    void emptyTensorsAreContiguousWhateverTheirStrides() {
        Tensor empty = Tensor.zeros(2, 3, 5, 0);
        assertTrue(empty.isContiguous());
        assertTrue(empty.permute(3, 1, 0, 2).isContiguous());
        assertSame(empty, empty.contiguous());
        assertArrayEquals(new int[] {2, 3, 5, 0}, empty.add(empty).shape());
    }

    @Test
    void permuteTransposeAndContiguousCopy() {
        Tensor x = t(seq(6), 2, 3);
        Tensor tt = x.t();
        assertArrayEquals(new int[] {3, 2}, tt.shape());
        assertFalse(tt.isContiguous());
        assertArrayEquals(new double[] {0, 3, 1, 4, 2, 5}, tt.toDoubleArray());
        Tensor c = tt.contiguous();
        assertTrue(c.isContiguous());
        assertArrayEquals(new double[] {0, 3, 1, 4, 2, 5}, c.toDoubleArray());
        Tensor p = t(seq(24), 2, 3, 4).permute(2, 0, 1);
        assertArrayEquals(new int[] {4, 2, 3}, p.shape());
        assertEquals(13, p.get(1, 1, 0));
        assertEquals(23, p.get(3, 1, 2));
    }

    @Test
    void sliceWithStepSelectAndNarrow() {
        Tensor x = t(seq(20), 4, 5);
        assertArrayEquals(new double[] {1, 3, 6, 8, 11, 13, 16, 18}, x.slice(1, 1, 5, 2).toDoubleArray());
        assertArrayEquals(new double[] {5, 6, 7, 8, 9}, x.select(0, 1).toDoubleArray());
        assertArrayEquals(new double[] {4, 9, 14, 19}, x.select(1, -1).toDoubleArray());
        assertArrayEquals(new double[] {10, 11, 12, 13, 14, 15, 16, 17, 18, 19}, x.narrow(0, 2, 2).toDoubleArray());
        assertArrayEquals(new int[] {0, 5}, x.slice(0, 3, 1, 1).shape());
        assertArrayEquals(new double[] {0, 10}, x.slice(0, 0, 4, 2).select(1, 0).toDoubleArray());
    }

    @Test
    void reshapeViewsShareStorageAndCopyOnlyWhenNeeded() {
        Tensor x = t(seq(12), 3, 4);
        Tensor v = x.view(2, -1);
        assertArrayEquals(new int[] {2, 6}, v.shape());
        assertSame(x.storage(), v.storage());
        Tensor r = x.t().reshape(12);
        assertNotSame(x.storage(), r.storage());
        assertArrayEquals(new double[] {0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11}, r.toDoubleArray());
        assertArrayEquals(new int[] {3, 1, 4}, x.unsqueeze(1).shape());
        assertArrayEquals(new int[] {3, 4}, x.unsqueeze(1).squeeze().shape());
        assertArrayEquals(new int[] {3, 4}, x.unsqueeze(-1).squeeze(2).shape());
        assertArrayEquals(new int[] {3, 4}, x.flatten(0).view(3, 4).shape());
    }

    @Test
    void expandBroadcastsWithoutCopying() {
        Tensor x = t(new double[] {1, 2, 3}, 3, 1);
        Tensor e = x.expand(2, 3, 4);
        assertArrayEquals(new int[] {2, 3, 4}, e.shape());
        assertEquals(0, e.stride(0));
        assertEquals(0, e.stride(2));
        assertEquals(3, e.get(1, 2, 3));
        assertEquals(48, e.sum().item());
    }

    @Test
    void broadcastingElementwiseOps() {
        Tensor a = t(new double[] {1, 2, 3, 4, 5, 6}, 2, 3);
        Tensor row = t(new double[] {10, 20, 30}, 3);
        Tensor col = t(new double[] {100, 200}, 2, 1);
        assertArrayEquals(new double[] {11, 22, 33, 14, 25, 36}, a.add(row).toDoubleArray());
        assertArrayEquals(new double[] {99, 98, 97, 196, 195, 194}, col.sub(a).toDoubleArray());
        assertArrayEquals(new double[] {100, 200, 300, 800, 1000, 1200}, a.mul(col).toDoubleArray());
        assertArrayEquals(new double[] {0.1, 0.1, 0.1, 0.4, 0.25, 0.2}, a.div(row).toDoubleArray(), 1e-15);
        assertArrayEquals(new double[] {-1, -2}, t(new double[] {1, 2}, 2).neg().toDoubleArray());
        assertArrayEquals(new double[] {0, 0, 3}, t(new double[] {-1, 0, 3}, 3).relu().toDoubleArray());
        assertArrayEquals(new double[] {0, 0.5, 1}, t(new double[] {-1, 0.5, 3}, 3).clamp(0, 1).toDoubleArray());
        assertArrayEquals(new double[] {1, 8}, t(new double[] {1, 2}, 2).pow(3).toDoubleArray());
        assertArrayEquals(new double[] {2, 3}, t(new double[] {4, 9}, 2).sqrt().toDoubleArray());
        assertEquals(Math.E, t(new double[] {1}, 1).exp().item(), 1e-15);
        assertEquals(1, t(new double[] {Math.E}, 1).log().item(), 1e-15);
        Tensor cond = t(new double[] {1, 0, 1}, 3);
        assertArrayEquals(new double[] {1, 20, 3, 4, 20, 6},
                Tensor.where(cond, a, t(new double[] {20}, 1)).toDoubleArray());
    }

    @Test
    void stridedOperandsMatchContiguousOnes() {
        Tensor a = Tensor.randn(new Generator(3), 5, 7).to(DType.F64);
        Tensor b = Tensor.randn(new Generator(4), 7, 5).to(DType.F64);
        assertArrayEquals(a.add(b.t().contiguous()).toDoubleArray(), a.add(b.t()).toDoubleArray());
        assertArrayEquals(a.t().contiguous().mul(b).toDoubleArray(), a.t().mul(b).toDoubleArray());
    }

    @Test
    void reductionsOverDims() {
        Tensor x = t(seq(24), 2, 3, 4);
        assertEquals(276, x.sum().item());
        assertArrayEquals(new double[] {12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32, 34}, x.sum(0, false).toDoubleArray());
        assertArrayEquals(new int[] {2, 1, 4}, x.sum(1, true).shape());
        assertArrayEquals(new double[] {12, 15, 18, 21, 48, 51, 54, 57}, x.sum(1, false).toDoubleArray());
        assertArrayEquals(new double[] {60, 92, 124}, x.sum(new int[] {0, 2}, false).toDoubleArray());
        assertArrayEquals(new double[] {1.5, 5.5, 9.5, 13.5, 17.5, 21.5}, x.mean(-1, false).toDoubleArray());
        assertEquals(11.5, x.mean().item());
    }

    @Test
    void maxReturnsValuesAndFirstArgmax() {
        Tensor x = t(new double[] {1, 5, 5, 2, 9, 0}, 2, 3);
        Tensor.MaxResult r = x.max(1, false);
        assertArrayEquals(new double[] {5, 9}, r.values().toDoubleArray());
        assertArrayEquals(new long[] {1, 1}, r.indices().toLongArray());
        assertEquals(DType.I64, r.indices().dtype());
        assertArrayEquals(new long[] {1, 1, 0}, x.argmax(0, false).toLongArray());
        assertArrayEquals(new int[] {2, 1}, x.max(1, true).values().shape());
        assertEquals(9, x.max().item());
        Tensor nan = t(new double[] {1, Double.NaN, 3}, 3);
        assertTrue(Double.isNaN(nan.max(0, false).values().item()));
        assertEquals(1, nan.argmax(0, false).toLongArray()[0]);
    }

    @Test
    void matmulTwoDimensionalAndBatched() {
        Tensor a = t(seq(6), 2, 3);
        Tensor b = t(seq(12), 3, 4);
        assertArrayEquals(new double[] {20, 23, 26, 29, 56, 68, 80, 92}, a.matmul(b).toDoubleArray());
        assertArrayEquals(a.matmul(b).toDoubleArray(), b.t().matmul(a.t()).t().toDoubleArray());
        Tensor ba = t(seq(12), 2, 2, 3);
        Tensor prod = ba.matmul(b);
        assertArrayEquals(new int[] {2, 2, 4}, prod.shape());
        assertArrayEquals(new double[] {20, 23, 26, 29, 56, 68, 80, 92}, prod.select(0, 0).toDoubleArray());
        assertArrayEquals(new double[] {92, 113, 134, 155, 128, 158, 188, 218}, prod.select(0, 1).toDoubleArray());
        Tensor f = Tensor.randn(new Generator(9), 3, 5, 6);
        Tensor g = Tensor.randn(new Generator(10), 6, 4);
        Tensor viaBatch = f.matmul(g);
        for (int i = 0; i < 3; i++) {
            assertArrayEquals(f.select(0, i).matmul(g).toFloatArray(), viaBatch.select(0, i).toFloatArray(), 1e-5f);
        }
    }

    @Test
    void catStackAndPad() {
        Tensor a = t(seq(4), 2, 2);
        Tensor b = t(new double[] {9, 9}, 1, 2);
        assertArrayEquals(new double[] {0, 1, 2, 3, 9, 9}, Tensor.cat(0, a, b).toDoubleArray());
        assertArrayEquals(new double[] {0, 1, 0, 2, 3, 2},
                Tensor.cat(1, a, a.narrow(1, 0, 1)).toDoubleArray());
        Tensor s = Tensor.stack(1, t(new double[] {1, 2}, 2), t(new double[] {3, 4}, 2));
        assertArrayEquals(new int[] {2, 2}, s.shape());
        assertArrayEquals(new double[] {1, 3, 2, 4}, s.toDoubleArray());
        Tensor p = t(new double[] {1, 2, 3, 4}, 2, 2).pad(new int[] {1, 0, 0, 1}, -1);
        assertArrayEquals(new int[] {3, 3}, p.shape());
        assertArrayEquals(new double[] {-1, 1, 2, -1, 3, 4, -1, -1, -1}, p.toDoubleArray());
    }

    @Test
    void dtypeConversionRoundTrips() {
        Tensor x = t(new double[] {1.5, -2.25}, 2);
        assertArrayEquals(new float[] {1.5f, -2.25f}, x.to(DType.F32).toFloatArray());
        assertArrayEquals(new long[] {1, -2}, x.to(DType.I64).toLongArray());
        assertArrayEquals(new double[] {1, -2}, x.to(DType.I64).to(DType.F64).toDoubleArray());
    }
}
