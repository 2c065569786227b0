/** The CUDA backend (JCuda driver API, cuDNN, cuBLAS, graft's own kernels); filled by the CUDA issue. */
package dev.graft.kernels;
