package dev.graft.kernels;

import dev.graft.engine.DType;
import dev.graft.engine.Shape;
import jcuda.jcudnn.JCudnn;
import jcuda.jcudnn.cudnnDataType;
import jcuda.jcudnn.cudnnTensorDescriptor;

import java.util.Arrays;

/**
 * The dimensions and element strides of a 4-D cuDNN tensor descriptor (cudnnSetTensorNdDescriptor), for the
 * dense row-major NCHW tensors the CUDA backend hands to cuDNN. Batch norm sees any {@code [N, C, ...]} input
 * as {@code [N, C, H·W..., 1]}, and per-channel parameters as {@code [1, C, 1, 1]}: cuDNN's spatial mode takes
 * its statistics over every dimension but C, so how the trailing dimensions are folded does not matter.
 */
record TensorLayout(int[] dims, int[] strides) {

    TensorLayout {
        if (dims.length != 4 || strides.length != 4) {
            throw new IllegalArgumentException("cuDNN tensor layout: 4 dimensions expected, got "
                    + Shape.format(dims) + " strides " + Shape.format(strides));
        }
        for (int d : dims) {
            if (d < 1) {
                throw new IllegalArgumentException("cuDNN tensor layout: sizes must be positive, got "
                        + Shape.format(dims));
            }
        }
        dims = dims.clone();
        strides = strides.clone();
    }

    /** A contiguous row-major {@code [n, c, h, w]} tensor. */
    static TensorLayout packed(int n, int c, int h, int w) {
        return new TensorLayout(new int[] {n, c, h, w}, new int[] {c * h * w, h * w, w, 1});
    }

    /** A contiguous tensor of {@code shape}, which must be 4-D. */
    static TensorLayout packed(int[] shape) {
        if (shape.length != 4) {
            throw new IllegalArgumentException("cuDNN tensor layout: 4-D shape expected, got " + Shape.format(shape));
        }
        return packed(shape[0], shape[1], shape[2], shape[3]);
    }

    /** One value per channel, broadcast over N, H and W: a bias, or batch norm's scale, shift and statistics. */
    static TensorLayout channels(int c) {
        return packed(1, c, 1, 1);
    }

    /** A contiguous batch-norm input {@code [N, C, ...]} of any rank from 2 up, folded to {@code [N, C, rest, 1]}. */
    static TensorLayout batchNorm(int[] shape) {
        if (shape.length < 2) {
            throw new IllegalArgumentException("batch_norm: input must have at least 2 dimensions [N, C, ...], got "
                    + Shape.format(shape));
        }
        int n = shape[0];
        int c = shape[1];
        int rest = n == 0 || c == 0 ? 0 : Shape.numel(shape) / (n * c);
        return packed(n, c, rest, 1);
    }

    /** cuDNN's data type for {@code dtype}, which must be F32 or F64. */
    static int dataType(DType dtype) {
        return switch (dtype) {
            case F32 -> cudnnDataType.CUDNN_DATA_FLOAT;
            case F64 -> cudnnDataType.CUDNN_DATA_DOUBLE;
            case I64 -> throw new IllegalArgumentException("cuDNN tensor layout: no cuDNN computation on " + dtype);
        };
    }

    /** A new cuDNN descriptor of this layout over {@code dtype} elements, kept by its caller for reuse. */
    cudnnTensorDescriptor descriptor(DType dtype) {
        cudnnTensorDescriptor descriptor = new cudnnTensorDescriptor();
        CudaException.checkCudnn(JCudnn.cudnnCreateTensorDescriptor(descriptor), "cudnnCreateTensorDescriptor");
        CudaException.checkCudnn(JCudnn.cudnnSetTensorNdDescriptor(descriptor, dataType(dtype), 4, dims, strides),
                "cudnnSetTensorNdDescriptor(" + dtype + " " + this + ")");
        return descriptor;
    }

    @Override
    public int[] dims() {
        return dims.clone();
    }

    @Override
    public int[] strides() {
        return strides.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorLayout other && Arrays.equals(dims, other.dims)
                && Arrays.equals(strides, other.strides);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(dims) + Arrays.hashCode(strides);
    }

    @Override
    public String toString() {
        return Shape.format(dims) + " strides " + Shape.format(strides);
    }
}
