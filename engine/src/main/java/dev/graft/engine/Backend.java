package dev.graft.engine;

/**
 * The compute SPI: everything a device must provide so that {@link Tensor}, autograd and the nn layers run
 * on it, as a composition of op groups (a new op joins one group, with a composed default where it can have
 * one, so it does not break every backend). Operations never record autograd history; that is the caller's
 * job. Inputs to the elementwise, copy and reduction groups may be arbitrary strided views (including stride-0
 * broadcasts); inputs to the matmul, convolution, pooling, normalisation and loss groups are contiguous unless
 * stated otherwise; the incoming gradient ({@code gradOut}) of their backward methods is dense: contiguous from
 * offset 0 of a storage of exactly its size, as every result is. Every result is a new contiguous tensor on this
 * backend. Every tensor handed to a backend lives on it; mixing backends is the caller's error, which
 * {@link Functional} and the tensor ops report before dispatch.
 *
 * <p>Backends are found through {@link Backends} (a {@link java.util.ServiceLoader} of {@link BackendProvider}).
 * The CPU backend lives in {@code dev.graft.engine.cpu}; the CUDA backend in the kernels module.
 */
public interface Backend extends MemoryOps, ElementwiseOps, ReductionOps, MatmulOps, ConvolutionOps, PoolingOps,
        NormalizationOps, LossOps, OptimizerOps, IndexingOps {
    /** The name users select it by ({@code cpu}, {@code cuda}). */
    String name();
}
