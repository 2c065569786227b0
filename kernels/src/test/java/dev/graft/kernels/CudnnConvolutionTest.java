package dev.graft.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.engine.ConvGeometry;
import dev.graft.engine.DType;
import jcuda.jcudnn.cudnnConvolutionBwdFilterAlgoPerf;
import jcuda.jcudnn.cudnnConvolutionFwdAlgoPerf;
import org.junit.jupiter.api.Test;

/** The host-side decisions of the cuDNN convolution: cache keys, math type, algorithm choice from results. */
class CudnnConvolutionTest {

    /** cudnnMathType_t in cuDNN 9's cudnn_graph.h: DEFAULT 0, TENSOR_OP 1, TENSOR_OP_ALLOW_CONVERSION 2, FMA 3. */
    private static final int DEFAULT_MATH = 0;
    private static final int FMA_MATH = 3;
    private static final ConvolutionKey KEY = new ConvolutionKey(1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, DType.F32,
            FMA_MATH, ConvolutionKey.Direction.FORWARD);

    @Test
    void aKeyCarriesEveryFieldOfTheGeometry() {
        ConvGeometry g = ConvGeometry.of(new int[] {2, 6, 9, 7}, new int[] {4, 3, 3, 1}, new int[] {2, 1},
                new int[] {1, 0}, new int[] {1, 2}, 2);
        ConvolutionKey key = CudnnConvolution.key(g, DType.F64, DEFAULT_MATH, ConvolutionKey.Direction.BACKWARD_DATA);
        assertEquals(new ConvolutionKey(2, 6, 9, 7, 4, 3, 1, 1, 0, 2, 1, 1, 2, 2, DType.F64, DEFAULT_MATH,
                ConvolutionKey.Direction.BACKWARD_DATA), key);
    }

    @Test
    void geometriesThatDifferOnlyInOneAxisGetDifferentKeys() {
        int[] input = {1, 4, 8, 8};
        int[] weight = {4, 4, 3, 3};
        ConvGeometry a = ConvGeometry.of(input, weight, new int[] {2, 1}, new int[] {1, 1}, new int[] {1, 1}, 1);
        ConvGeometry b = ConvGeometry.of(input, weight, new int[] {1, 2}, new int[] {1, 1}, new int[] {1, 1}, 1);
        ConvGeometry depthwise = ConvGeometry.of(input, new int[] {4, 1, 3, 3}, new int[] {1, 1}, new int[] {1, 1},
                new int[] {1, 1}, 4);
        ConvolutionKey.Direction f = ConvolutionKey.Direction.FORWARD;
        assertNotEquals(CudnnConvolution.key(a, DType.F32, FMA_MATH, f),
                CudnnConvolution.key(b, DType.F32, FMA_MATH, f));
        assertEquals(4, CudnnConvolution.key(depthwise, DType.F32, FMA_MATH, f).groups());
        assertEquals(1, CudnnConvolution.key(depthwise, DType.F32, FMA_MATH, f).c() / 4);
    }

    @Test
    void f32UsesFmaKernelsUnlessTf32IsAllowed() {
        assertEquals(FMA_MATH, CudnnConvolution.mathType(DType.F32, false));
        assertEquals(DEFAULT_MATH, CudnnConvolution.mathType(DType.F32, true));
        assertEquals(DEFAULT_MATH, CudnnConvolution.mathType(DType.F64, false));
        assertEquals(DEFAULT_MATH, CudnnConvolution.mathType(DType.F64, true));
    }

    @Test
    void theSearchWorkspaceIsTheLargestSupportedRequestCapped() {
        CudnnConvolution.Results r = new CudnnConvolution.Results(new int[] {0, 3000, 0},
                new int[] {1, 2, 3}, new long[] {100, 1L << 40, 4096});
        assertEquals(4096, r.searchWorkspace(), "the unsupported algorithm's request is ignored");
        CudnnConvolution.Results huge = new CudnnConvolution.Results(new int[] {0}, new int[] {6},
                new long[] {1L << 40});
        assertEquals(CudnnConvolution.SEARCH_WORKSPACE_LIMIT, huge.searchWorkspace());
    }

    @Test
    void theFastestResultThatRanWithinTheWorkspaceIsChosen() {
        CudnnConvolution.Results r = new CudnnConvolution.Results(new int[] {3000, 0, 0, 0},
                new int[] {7, 5, 1, 0}, new long[] {0, 1 << 20, 2048, 0});
        assertEquals(new ConvolutionAlgorithms.Choice(1, 2048), r.fastest(4096, "find", KEY));
        assertEquals(new ConvolutionAlgorithms.Choice(5, 1 << 20), r.fastest(1 << 20, "find", KEY));
    }

    @Test
    void noUsableResultNamesTheCallAndTheShape() {
        CudnnConvolution.Results r = new CudnnConvolution.Results(new int[] {3000, 0}, new int[] {1, 2},
                new long[] {0, 1 << 20});
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> r.fastest(1024, "cudnnFindConvolutionForwardAlgorithmEx", KEY));
        assertTrue(e.getMessage().contains("cudnnFindConvolutionForwardAlgorithmEx")
                && e.getMessage().contains("1024 bytes") && e.getMessage().contains("ConvolutionKey"), e.getMessage());
    }

    @Test
    void resultsAreReadFromTheFirstReturnedEntriesOfEachPerfType() {
        cudnnConvolutionFwdAlgoPerf[] fwd = {new cudnnConvolutionFwdAlgoPerf(6, 0, 0.5f, 64, 0, 0, new int[3]),
            new cudnnConvolutionFwdAlgoPerf(1, 0, 0.7f, 0, 0, 0, new int[3]), new cudnnConvolutionFwdAlgoPerf()};
        CudnnConvolution.Results r = CudnnConvolution.Results.of(fwd, 2);
        assertEquals(2, r.statuses().length);
        assertEquals(new ConvolutionAlgorithms.Choice(6, 64), r.fastest(64, "find", KEY));
        assertEquals(new ConvolutionAlgorithms.Choice(1, 0), r.fastest(63, "find", KEY));
        cudnnConvolutionBwdFilterAlgoPerf filter = new cudnnConvolutionBwdFilterAlgoPerf();
        filter.algo = 3;
        filter.memory = 8;
        assertEquals(new ConvolutionAlgorithms.Choice(3, 8),
                CudnnConvolution.Results.of(new cudnnConvolutionBwdFilterAlgoPerf[] {filter}, 1).fastest(8, "f", KEY));
    }
}
