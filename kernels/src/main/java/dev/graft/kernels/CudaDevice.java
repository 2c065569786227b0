package dev.graft.kernels;

import dev.graft.engine.DType;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;
import jcuda.jcudnn.JCudnn;
import jcuda.jcudnn.cudnnHandle;
import jcuda.runtime.cudaStream_t;

import java.lang.ref.Cleaner;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * One GPU as graft uses it: the device's primary context, one stream that every kernel, cuDNN and cuBLAS call
 * runs on (so work is ordered without events), the caching allocator, the cuDNN and cuBLAS handles, graft's
 * kernels and a device-side error flag that kernels set instead of aborting (read at the next synchronisation).
 * Single-stream by design: a block freed into the allocator may be reused by the next launch because the stream
 * runs them in order.
 */
final class CudaDevice {
    /** How long an out-of-memory allocation waits for the collector to release unreachable tensors. */
    private static final long RELEASE_WAIT_MILLIS = 200;

    private final CUcontext context = new CUcontext();
    private final CUstream stream = new CUstream();
    private final CachingAllocator allocator = new CachingAllocator(new DriverMemory(), this::reclaim);
    private final cudnnHandle cudnn = new cudnnHandle();
    private final Blas blas;
    private final String blasDescription;
    private final Kernels kernels;
    private final Workspace workspace;
    private final String name;
    private final long errorFlag;
    private final Cleaner cleaner = Cleaner.create();
    private final ConcurrentLinkedQueue<Long> released = new ConcurrentLinkedQueue<>();
    private final ThreadLocal<Boolean> current = ThreadLocal.withInitial(() -> false);
    private final CudaBackend backend;

    private CudaDevice(CudaLibraries.Available libraries, int ordinal) {
        CUdevice device = new CUdevice();
        CudaException.checkDriver(JCudaDriver.cuDeviceGet(device, ordinal), "cuDeviceGet(" + ordinal + ")");
        CudaException.checkDriver(JCudaDriver.cuDevicePrimaryCtxRetain(context, device),
                "cuDevicePrimaryCtxRetain(" + ordinal + ")");
        enter();
        byte[] label = new byte[256];
        CudaException.checkDriver(JCudaDriver.cuDeviceGetName(label, label.length, device), "cuDeviceGetName");
        this.name = new String(label, 0, indexOfZero(label)).strip();
        CudaException.checkDriver(JCudaDriver.cuStreamCreate(stream, 0), "cuStreamCreate");
        CudaException.checkCudnn(JCudnn.cudnnCreate(cudnn), "cudnnCreate");
        CudaException.checkCudnn(JCudnn.cudnnSetStream(cudnn, new cudaStream_t(stream)), "cudnnSetStream");
        BlasLoader.Choice choice = BlasLoader.open(libraries);
        this.blas = choice.blas();
        this.blasDescription = choice.description();
        blas.setStream(stream);
        blas.setTf32(tf32Allowed());
        this.kernels = new Kernels(stream);
        this.workspace = new Workspace(allocator);
        this.errorFlag = allocator.allocate(Integer.BYTES);
        clearErrorFlag();
        this.backend = new CudaBackend(this);
    }

    /** Opens device 0 with the libraries a successful probe found. */
    static CudaDevice open(CudaLibraries.Available libraries) {
        return new CudaDevice(libraries, 0);
    }

    CudaBackend backend() {
        return backend;
    }

    /**
     * Whether F32 convolutions and GEMMs may use TF32 tensor cores (system property {@code graft.cuda.tf32=true} or
     * {@code GRAFT_TF32=1}); off by default, so that F32 means F32.
     */
    static boolean tf32Allowed() {
        return Boolean.getBoolean("graft.cuda.tf32") || "1".equals(System.getenv("GRAFT_TF32"));
    }

    /** "NVIDIA H200, cuBLAS through ...": what the device and its libraries are. */
    String describe() {
        return name + "; " + blasDescription;
    }

    /** Makes the device's context current on the calling thread (once per thread). */
    void enter() {
        if (!current.get()) {
            CudaException.checkDriver(JCudaDriver.cuCtxSetCurrent(context), "cuCtxSetCurrent");
            current.set(true);
        }
    }

    CUstream stream() {
        return stream;
    }

    Kernels kernels() {
        return kernels;
    }

    cudnnHandle cudnn() {
        return cudnn;
    }

    Blas blas() {
        return blas;
    }

    /** Scratch memory for cuDNN, grown to the largest request and kept. */
    Workspace workspace() {
        return workspace;
    }

    CachingAllocator allocator() {
        return allocator;
    }

    /** Device address of the int that kernels set to a non-zero code when an index is out of range. */
    long errorFlag() {
        return errorFlag;
    }

    /**
     * An uninitialised storage of {@code size} elements (for results every element of which a kernel writes),
     * returned to the allocator when it becomes unreachable.
     */
    CudaStorage allocate(DType dtype, int size) {
        enter();
        long bytes = (long) size * CudaStorage.elementBytes(dtype);
        long address = bytes == 0 ? 0 : allocateBytes(bytes);
        CudaStorage storage = new CudaStorage(this, dtype, size, address);
        if (address != 0) {
            cleaner.register(storage, new Release(released, address));
        }
        return storage;
    }

    /** A zero-filled storage. */
    CudaStorage zeros(DType dtype, int size) {
        CudaStorage s = allocate(dtype, size);
        long bytes = (long) size * CudaStorage.elementBytes(dtype);
        if (bytes > 0) {
            CudaException.checkDriver(JCudaDriver.cuMemsetD8Async(DeviceAddress.at(s.address()), (byte) 0, bytes, stream),
                    "cuMemsetD8Async(" + bytes + " bytes)");
        }
        return s;
    }

    private long allocateBytes(long bytes) {
        returnReleased();
        return allocator.allocate(bytes);
    }

    /**
     * The allocator's last resort when the device is full (for tensors and cuDNN's workspace alike): the collector
     * knows nothing of device memory, so tensors it has not collected yet still hold blocks.
     */
    private void reclaim() {
        System.gc();
        awaitReleases();
        returnReleased();
    }

    /**
     * After a collection, waits (at most {@link #RELEASE_WAIT_MILLIS}) until the cleaner has queued releases and
     * the queue has stopped growing for a few milliseconds.
     */
    private void awaitReleases() {
        long deadline = System.nanoTime() + RELEASE_WAIT_MILLIS * 1_000_000;
        int seen = -1;
        while (System.nanoTime() < deadline) {
            int now = released.size();
            if (now > 0 && now == seen) {
                return;
            }
            seen = now;
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Gives the blocks of collected storages back to the allocator, on the computing thread. */
    private void returnReleased() {
        for (Long address = released.poll(); address != null; address = released.poll()) {
            allocator.free(address);
        }
    }

    /** Waits for every queued operation, then reports an index error a kernel flagged meanwhile. */
    void synchronize() {
        enter();
        CudaException.checkDriver(JCudaDriver.cuStreamSynchronize(stream), "cuStreamSynchronize");
        int[] code = new int[1];
        CudaException.checkDriver(JCudaDriver.cuMemcpyDtoH(Pointer.to(code), DeviceAddress.at(errorFlag), Integer.BYTES),
                "cuMemcpyDtoH(error flag)");
        if (code[0] != 0) {
            clearErrorFlag();
            throw new IllegalArgumentException(switch (code[0]) {
                case 1 -> "class index out of range (one-hot on the GPU)";
                case 2 -> "class out of range (cross-entropy target on the GPU)";
                case 3 -> "row index out of range (feature gather on the GPU)";
                default -> "error code " + code[0] + " from a graft kernel";
            });
        }
    }

    private void clearErrorFlag() {
        CudaException.checkDriver(JCudaDriver.cuMemsetD32(DeviceAddress.at(errorFlag), 0, 1), "cuMemsetD32(error flag)");
    }

    private static int indexOfZero(byte[] bytes) {
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == 0) {
                return i;
            }
        }
        return bytes.length;
    }

    /** The cleaning action of one storage: must not reach the storage itself. */
    private record Release(ConcurrentLinkedQueue<Long> queue, long address) implements Runnable {
        @Override
        public void run() {
            queue.add(address);
        }
    }
}
