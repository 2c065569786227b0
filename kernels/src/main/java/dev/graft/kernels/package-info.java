/**
 * The CUDA backend, registered as {@code cuda} through {@link dev.graft.engine.BackendProvider}: {@link
 * dev.graft.kernels.CudaLibraries} finds the driver, cuDNN 9 and cuBLAS; {@code CudaDevice} holds the context,
 * stream, caching allocator and library handles; {@code CudaBackend} dispatches the engine's op groups to cuDNN
 * (convolution, batch norm), cuBLAS (matrix products) and graft's own kernels (src/main/cuda, one fatbin).
 */
package dev.graft.kernels;
