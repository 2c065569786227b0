package dev.graft.kernels;

import dev.graft.engine.ConvGeometry;
import dev.graft.engine.DType;
import dev.graft.engine.Shape;
import dev.graft.engine.Tensor;
import jcuda.Pointer;
import jcuda.jcudnn.JCudnn;
import jcuda.jcudnn.cudnnConvolutionBwdDataAlgoPerf;
import jcuda.jcudnn.cudnnConvolutionBwdFilterAlgoPerf;
import jcuda.jcudnn.cudnnConvolutionDescriptor;
import jcuda.jcudnn.cudnnConvolutionFwdAlgoPerf;
import jcuda.jcudnn.cudnnConvolutionMode;
import jcuda.jcudnn.cudnnFilterDescriptor;
import jcuda.jcudnn.cudnnHandle;
import jcuda.jcudnn.cudnnMathType;
import jcuda.jcudnn.cudnnTensorDescriptor;
import jcuda.jcudnn.cudnnTensorFormat;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * 2-D convolution forward, backward-data and backward-filter through cuDNN on dense NCHW tensors, F32 or F64,
 * with groups, dilation and per-axis stride and padding as {@link ConvGeometry} allows. For each shape the
 * descriptors are built once and the algorithm of each direction is measured once (cudnnFind...Ex, run in the
 * device's workspace and recorded in {@link ConvolutionAlgorithms}); later calls reuse both.
 *
 * <p>Math type: cuDNN's {@code CUDNN_DEFAULT_MATH} lets F32 convolutions round their inputs to TF32 on Ampere
 * and later, and only {@code CUDNN_FMA_MATH} restricts them to FMA kernels, so F32 runs with FMA math unless
 * TF32 is allowed (system property {@code graft.cuda.tf32=true} or {@code GRAFT_TF32=1}). F64 runs with the
 * default math: TF32 concerns F32 inputs only, and FP64 tensor cores are exact.
 */
final class CudnnConvolution {
    /**
     * The most scratch memory an algorithm search offers; algorithms that need more are not measured. Large
     * enough for every ResNet shape's fast algorithms; the FFT variants that ask for more rarely win.
     */
    static final long SEARCH_WORKSPACE_LIMIT = 1L << 30;

    private static final Pointer ONE_F32 = Pointer.to(new float[] {1f});
    private static final Pointer ZERO_F32 = Pointer.to(new float[] {0f});
    private static final Pointer ONE_F64 = Pointer.to(new double[] {1.0});
    private static final Pointer ZERO_F64 = Pointer.to(new double[] {0.0});

    private final CudaDevice device;
    private final boolean tf32;
    private final ConvolutionAlgorithms algorithms = new ConvolutionAlgorithms();
    private final Map<ConvolutionKey, Descriptors> descriptors = new HashMap<>();

    CudnnConvolution(CudaDevice device) {
        this.device = device;
        this.tf32 = CudaDevice.tf32Allowed();
    }

    /** The {@code cudnnMathType_t} for convolutions on {@code dtype}: see the class comment. */
    static int mathType(DType dtype, boolean tf32) {
        return dtype == DType.F32 && !tf32 ? cudnnMathType.CUDNN_FMA_MATH : cudnnMathType.CUDNN_DEFAULT_MATH;
    }

    /** The algorithm-cache key of {@code g} in one direction. */
    static ConvolutionKey key(ConvGeometry g, DType dtype, int mathType, ConvolutionKey.Direction direction) {
        return new ConvolutionKey(g.n(), g.c(), g.h(), g.w(), g.outC(), g.kh(), g.kw(), g.padH(), g.padW(),
                g.strideH(), g.strideW(), g.dilH(), g.dilW(), g.groups(), dtype, mathType, direction);
    }

    Tensor forward(Tensor x, Tensor weight, Tensor bias, ConvGeometry g) {
        DType dtype = dtypeOf("conv2d", x, weight, bias);
        Descriptors d = descriptors(g, dtype);
        CudaStorage y = device.allocate(dtype, Shape.numel(g.outputShape()));
        Pointer px = DeviceAddress.at(CudaStorage.address(x));
        Pointer pw = DeviceAddress.at(CudaStorage.address(weight));
        Pointer py = DeviceAddress.at(y.address());
        cudnnHandle handle = device.cudnn();
        ConvolutionKey key = d.key(ConvolutionKey.Direction.FORWARD);
        ConvolutionAlgorithms.Choice choice = algorithms.choose(key, k -> {
            int[] count = new int[1];
            CudaException.checkCudnn(JCudnn.cudnnGetConvolutionForwardAlgorithmMaxCount(handle, count),
                    "cudnnGetConvolutionForwardAlgorithmMaxCount");
            cudnnConvolutionFwdAlgoPerf[] perf = new cudnnConvolutionFwdAlgoPerf[count[0]];
            int[] returned = new int[1];
            check(JCudnn.cudnnGetConvolutionForwardAlgorithm_v7(handle, d.x, d.w, d.conv, d.y, count[0], returned,
                    fill(perf, cudnnConvolutionFwdAlgoPerf::new)), "cudnnGetConvolutionForwardAlgorithm_v7", k);
            long limit = Results.of(perf, returned[0]).searchWorkspace();
            long workspace = device.workspace().reserve(limit);
            check(JCudnn.cudnnFindConvolutionForwardAlgorithmEx(handle, d.x, px, d.w, pw, d.conv, d.y, py, count[0],
                    returned, fill(perf, cudnnConvolutionFwdAlgoPerf::new), DeviceAddress.at(workspace), limit),
                    "cudnnFindConvolutionForwardAlgorithmEx", k);
            return Results.of(perf, returned[0]).fastest(limit, "cudnnFindConvolutionForwardAlgorithmEx", k);
        });
        Pointer workspace = DeviceAddress.at(device.workspace().reserve(choice.workspaceBytes()));
        check(JCudnn.cudnnConvolutionForward(handle, one(dtype), d.x, px, d.w, pw, d.conv, choice.algorithm(),
                workspace, choice.workspaceBytes(), zero(dtype), d.y, py), "cudnnConvolutionForward", key);
        if (bias != null) {
            check(JCudnn.cudnnAddTensor(handle, one(dtype), d.bias, DeviceAddress.at(CudaStorage.address(bias)),
                    one(dtype), d.y, py), "cudnnAddTensor (conv2d bias)", key);
        }
        return Tensor.of(y, g.outputShape());
    }

    Tensor backwardInput(Tensor gradOut, Tensor weight, ConvGeometry g) {
        DType dtype = dtypeOf("conv2d backward input", gradOut, weight, null);
        Descriptors d = descriptors(g, dtype);
        CudaStorage dx = device.allocate(dtype, Shape.numel(g.inputShape()));
        Pointer pdy = DeviceAddress.at(CudaStorage.address(gradOut));
        Pointer pw = DeviceAddress.at(CudaStorage.address(weight));
        Pointer pdx = DeviceAddress.at(dx.address());
        cudnnHandle handle = device.cudnn();
        ConvolutionKey key = d.key(ConvolutionKey.Direction.BACKWARD_DATA);
        ConvolutionAlgorithms.Choice choice = algorithms.choose(key, k -> {
            int[] count = new int[1];
            CudaException.checkCudnn(JCudnn.cudnnGetConvolutionBackwardDataAlgorithmMaxCount(handle, count),
                    "cudnnGetConvolutionBackwardDataAlgorithmMaxCount");
            cudnnConvolutionBwdDataAlgoPerf[] perf = new cudnnConvolutionBwdDataAlgoPerf[count[0]];
            int[] returned = new int[1];
            check(JCudnn.cudnnGetConvolutionBackwardDataAlgorithm_v7(handle, d.w, d.y, d.conv, d.x, count[0],
                    returned, fill(perf, cudnnConvolutionBwdDataAlgoPerf::new)),
                    "cudnnGetConvolutionBackwardDataAlgorithm_v7", k);
            long limit = Results.of(perf, returned[0]).searchWorkspace();
            long workspace = device.workspace().reserve(limit);
            check(JCudnn.cudnnFindConvolutionBackwardDataAlgorithmEx(handle, d.w, pw, d.y, pdy, d.conv, d.x, pdx,
                    count[0], returned, fill(perf, cudnnConvolutionBwdDataAlgoPerf::new), DeviceAddress.at(workspace),
                    limit),
                    "cudnnFindConvolutionBackwardDataAlgorithmEx", k);
            return Results.of(perf, returned[0]).fastest(limit, "cudnnFindConvolutionBackwardDataAlgorithmEx", k);
        });
        Pointer workspace = DeviceAddress.at(device.workspace().reserve(choice.workspaceBytes()));
        check(JCudnn.cudnnConvolutionBackwardData(handle, one(dtype), d.w, pw, d.y, pdy, d.conv, choice.algorithm(),
                workspace, choice.workspaceBytes(), zero(dtype), d.x, pdx), "cudnnConvolutionBackwardData", key);
        return Tensor.of(dx, g.inputShape());
    }

    Tensor backwardWeight(Tensor gradOut, Tensor x, ConvGeometry g) {
        DType dtype = dtypeOf("conv2d backward weight", gradOut, x, null);
        Descriptors d = descriptors(g, dtype);
        CudaStorage dw = device.allocate(dtype, Shape.numel(g.weightShape()));
        Pointer pdy = DeviceAddress.at(CudaStorage.address(gradOut));
        Pointer px = DeviceAddress.at(CudaStorage.address(x));
        Pointer pdw = DeviceAddress.at(dw.address());
        cudnnHandle handle = device.cudnn();
        ConvolutionKey key = d.key(ConvolutionKey.Direction.BACKWARD_FILTER);
        ConvolutionAlgorithms.Choice choice = algorithms.choose(key, k -> {
            int[] count = new int[1];
            CudaException.checkCudnn(JCudnn.cudnnGetConvolutionBackwardFilterAlgorithmMaxCount(handle, count),
                    "cudnnGetConvolutionBackwardFilterAlgorithmMaxCount");
            cudnnConvolutionBwdFilterAlgoPerf[] perf = new cudnnConvolutionBwdFilterAlgoPerf[count[0]];
            int[] returned = new int[1];
            check(JCudnn.cudnnGetConvolutionBackwardFilterAlgorithm_v7(handle, d.x, d.y, d.conv, d.w, count[0],
                    returned, fill(perf, cudnnConvolutionBwdFilterAlgoPerf::new)),
                    "cudnnGetConvolutionBackwardFilterAlgorithm_v7", k);
            long limit = Results.of(perf, returned[0]).searchWorkspace();
            long workspace = device.workspace().reserve(limit);
            check(JCudnn.cudnnFindConvolutionBackwardFilterAlgorithmEx(handle, d.x, px, d.y, pdy, d.conv, d.w, pdw,
                    count[0], returned, fill(perf, cudnnConvolutionBwdFilterAlgoPerf::new), DeviceAddress.at(workspace),
                    limit),
                    "cudnnFindConvolutionBackwardFilterAlgorithmEx", k);
            return Results.of(perf, returned[0]).fastest(limit, "cudnnFindConvolutionBackwardFilterAlgorithmEx", k);
        });
        Pointer workspace = DeviceAddress.at(device.workspace().reserve(choice.workspaceBytes()));
        check(JCudnn.cudnnConvolutionBackwardFilter(handle, one(dtype), d.x, px, d.y, pdy, d.conv, choice.algorithm(),
                workspace, choice.workspaceBytes(), zero(dtype), d.w, pdw), "cudnnConvolutionBackwardFilter", key);
        return Tensor.of(dw, g.weightShape());
    }

    /** The element type shared by the operands, which cuDNN computes in. */
    private static DType dtypeOf(String op, Tensor a, Tensor b, Tensor c) {
        DType dtype = a.dtype();
        if (dtype != DType.F32 && dtype != DType.F64) {
            throw new IllegalArgumentException(op + ": cuDNN convolves F32 or F64, got " + dtype);
        }
        if (b.dtype() != dtype || c != null && c.dtype() != dtype) {
            throw new IllegalArgumentException(op + ": operands differ in type: " + dtype + ", " + b.dtype()
                    + (c == null ? "" : ", " + c.dtype()));
        }
        return dtype;
    }

    private static Pointer one(DType dtype) {
        return dtype == DType.F64 ? ONE_F64 : ONE_F32;
    }

    private static Pointer zero(DType dtype) {
        return dtype == DType.F64 ? ZERO_F64 : ZERO_F32;
    }

    private static void check(int status, String call, ConvolutionKey key) {
        if (status != 0) {
            throw new CudaException(CudaException.Library.CUDNN, status, call + "(" + key + ")");
        }
    }

    /** The descriptors of one shape, built on first use and kept for the device's life. */
    private synchronized Descriptors descriptors(ConvGeometry g, DType dtype) {
        ConvolutionKey key = key(g, dtype, mathType(dtype, tf32), ConvolutionKey.Direction.FORWARD);
        return descriptors.computeIfAbsent(key, k -> new Descriptors(g, dtype, k));
    }

    /** Input, filter, output, bias and convolution descriptors of one shape. */
    private static final class Descriptors {
        final ConvolutionKey forwardKey;
        final cudnnTensorDescriptor x;
        final cudnnFilterDescriptor w = new cudnnFilterDescriptor();
        final cudnnTensorDescriptor y;
        final cudnnTensorDescriptor bias;
        final cudnnConvolutionDescriptor conv = new cudnnConvolutionDescriptor();

        Descriptors(ConvGeometry g, DType dtype, ConvolutionKey forwardKey) {
            this.forwardKey = forwardKey;
            int type = TensorLayout.dataType(dtype);
            this.x = TensorLayout.packed(g.inputShape()).descriptor(dtype);
            this.y = TensorLayout.packed(g.outputShape()).descriptor(dtype);
            this.bias = TensorLayout.channels(g.outC()).descriptor(dtype);
            check(JCudnn.cudnnCreateFilterDescriptor(w), "cudnnCreateFilterDescriptor", forwardKey);
            int[] ws = g.weightShape();
            check(JCudnn.cudnnSetFilter4dDescriptor(w, type, cudnnTensorFormat.CUDNN_TENSOR_NCHW, ws[0], ws[1], ws[2],
                    ws[3]), "cudnnSetFilter4dDescriptor", forwardKey);
            check(JCudnn.cudnnCreateConvolutionDescriptor(conv), "cudnnCreateConvolutionDescriptor", forwardKey);
            // Cross-correlation is what deep-learning frameworks call convolution; the compute type is the data's.
            check(JCudnn.cudnnSetConvolution2dDescriptor(conv, g.padH(), g.padW(), g.strideH(), g.strideW(),
                    g.dilH(), g.dilW(), cudnnConvolutionMode.CUDNN_CROSS_CORRELATION, type),
                    "cudnnSetConvolution2dDescriptor", forwardKey);
            check(JCudnn.cudnnSetConvolutionGroupCount(conv, g.groups()), "cudnnSetConvolutionGroupCount", forwardKey);
            check(JCudnn.cudnnSetConvolutionMathType(conv, forwardKey.mathType()), "cudnnSetConvolutionMathType",
                    forwardKey);
            int[] n = new int[1];
            int[] c = new int[1];
            int[] h = new int[1];
            int[] wd = new int[1];
            check(JCudnn.cudnnGetConvolution2dForwardOutputDim(conv, x, w, n, c, h, wd),
                    "cudnnGetConvolution2dForwardOutputDim", forwardKey);
            int[] out = {n[0], c[0], h[0], wd[0]};
            if (!Arrays.equals(out, g.outputShape())) {
                throw new IllegalStateException("cuDNN computes output " + Shape.format(out) + " where graft expects "
                        + Shape.format(g.outputShape()) + " for " + forwardKey);
            }
        }

        ConvolutionKey key(ConvolutionKey.Direction direction) {
            ConvolutionKey k = forwardKey;
            return new ConvolutionKey(k.n(), k.c(), k.h(), k.w(), k.k(), k.r(), k.s(), k.padH(), k.padW(), k.strideH(),
                    k.strideW(), k.dilationH(), k.dilationW(), k.groups(), k.dtype(), k.mathType(), direction);
        }
    }

    /** Fills {@code perf} with fresh result objects for cuDNN to write into. */
    private static <T> T[] fill(T[] perf, Supplier<T> create) {
        for (int i = 0; i < perf.length; i++) {
            perf[i] = create.get();
        }
        return perf;
    }

    /** The first {@code count} entries of a search's results, whichever direction's perf type they came in. */
    record Results(int[] statuses, int[] algorithms, long[] memories) {

        static Results of(cudnnConvolutionFwdAlgoPerf[] perf, int count) {
            Results r = new Results(new int[count], new int[count], new long[count]);
            for (int i = 0; i < count; i++) {
                r.statuses[i] = perf[i].status;
                r.algorithms[i] = perf[i].algo;
                r.memories[i] = perf[i].memory;
            }
            return r;
        }

        static Results of(cudnnConvolutionBwdDataAlgoPerf[] perf, int count) {
            Results r = new Results(new int[count], new int[count], new long[count]);
            for (int i = 0; i < count; i++) {
                r.statuses[i] = perf[i].status;
                r.algorithms[i] = perf[i].algo;
                r.memories[i] = perf[i].memory;
            }
            return r;
        }

        static Results of(cudnnConvolutionBwdFilterAlgoPerf[] perf, int count) {
            Results r = new Results(new int[count], new int[count], new long[count]);
            for (int i = 0; i < count; i++) {
                r.statuses[i] = perf[i].status;
                r.algorithms[i] = perf[i].algo;
                r.memories[i] = perf[i].memory;
            }
            return r;
        }

        /**
         * The workspace to offer a search: the most any algorithm the heuristics support asks for, capped at
         * {@link #SEARCH_WORKSPACE_LIMIT}.
         */
        long searchWorkspace() {
            long most = 0;
            for (int i = 0; i < statuses.length; i++) {
                if (statuses[i] == 0) {
                    most = Math.max(most, memories[i]);
                }
            }
            return Math.min(most, SEARCH_WORKSPACE_LIMIT);
        }

        /** The first (fastest: cudnnFind sorts by measured time) result that succeeded within {@code limit} bytes. */
        ConvolutionAlgorithms.Choice fastest(long limit, String call, ConvolutionKey key) {
            for (int i = 0; i < statuses.length; i++) {
                if (statuses[i] == 0 && memories[i] <= limit) {
                    return new ConvolutionAlgorithms.Choice(algorithms[i], memories[i]);
                }
            }
            throw new IllegalStateException(call + ": none of " + statuses.length + " algorithms ran within " + limit
                    + " bytes of workspace for " + key);
        }
    }
}
