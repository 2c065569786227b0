package dev.graft.kernels;

import dev.graft.engine.DType;
import java.util.ArrayList;
import java.util.List;

/**
 * An {@link OpDevice} without a GPU: storages get made-up, distinct, aligned addresses (nothing dereferences
 * them) and launches and uploads are recorded, so the op groups run on the CPU for their launch arguments.
 */
final class RecordingDevice implements OpDevice {
    static final long ERROR_FLAG = 0xE000;

    record Launch(String entry, int gridX, int gridY, int blockX, int blockY, Object[] args) {
    }

    final List<Launch> launches = new ArrayList<>();
    final List<long[]> uploads = new ArrayList<>();
    private long next = 1L << 20;

    @Override
    public CudaStorage allocate(DType dtype, int size) {
        long bytes = (long) size * CudaStorage.elementBytes(dtype);
        long address = bytes == 0 ? 0 : next;
        next += (bytes + 511) / 512 * 512;
        return new CudaStorage(null, dtype, size, address);
    }

    @Override
    public CudaStorage zeros(DType dtype, int size) {
        return allocate(dtype, size);
    }

    @Override
    public long errorFlag() {
        return ERROR_FLAG;
    }

    @Override
    public void launch(String entry, int gridX, int gridY, int blockX, int blockY, Object... args) {
        launches.add(new Launch(entry, gridX, gridY, blockX, blockY, args.clone()));
    }

    @Override
    public CudaStorage upload(long[] words) {
        uploads.add(words.clone());
        return allocate(DType.I64, words.length);
    }

    /** The entries launched, in order. */
    List<String> entries() {
        return launches.stream().map(Launch::entry).toList();
    }
}
