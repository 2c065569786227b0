package dev.graft.kernels;

import jcuda.Pointer;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * graft's own kernels ({@link KernelImage}'s fatbin) loaded into the device's context, and their launches.
 * Arguments are passed by their Java type: {@code Long} for device addresses and {@code long long}, {@code Integer}
 * for {@code int}, {@code Double}, {@code Float}, and {@code byte[]} for a struct passed by value (the packed
 * {@code View} of {@link ViewArgument}).
 */
final class Kernels {
    private final CUmodule module = new CUmodule();
    private final CUstream stream;
    private final Map<String, CUfunction> functions = new ConcurrentHashMap<>();

    Kernels(CUstream stream) {
        this.stream = stream;
        byte[] fatbin = KernelImage.fatbin();
        CudaException.checkDriver(JCudaDriver.cuModuleLoadData(module, fatbin),
                "cuModuleLoadData(graft.fatbin, " + fatbin.length + " bytes)");
    }

    void launch(String entry, int gridX, int gridY, int blockX, int blockY, int sharedBytes, Object... args) {
        CUfunction f = functions.computeIfAbsent(entry, name -> {
            CUfunction fn = new CUfunction();
            CudaException.checkDriver(JCudaDriver.cuModuleGetFunction(fn, module, name), "cuModuleGetFunction(" + name + ")");
            return fn;
        });
        Pointer[] params = new Pointer[args.length];
        for (int i = 0; i < args.length; i++) {
            params[i] = switch (args[i]) {
                case Long v -> Pointer.to(new long[] {v});
                case Integer v -> Pointer.to(new int[] {v});
                case Double v -> Pointer.to(new double[] {v});
                case Float v -> Pointer.to(new float[] {v});
                case byte[] v -> Pointer.to(v);
                default -> throw new IllegalArgumentException(entry + ": argument " + i + " of unsupported type "
                        + args[i].getClass().getSimpleName());
            };
        }
        int result = JCudaDriver.cuLaunchKernel(f, gridX, gridY, 1, blockX, blockY, 1, sharedBytes, stream,
                Pointer.to(params), null);
        if (result != 0) {
            throw new CudaException(CudaException.Library.DRIVER, result, "cuLaunchKernel(" + entry + ", grid " + gridX
                    + "x" + gridY + ", block " + blockX + "x" + blockY + ")");
        }
    }
}
