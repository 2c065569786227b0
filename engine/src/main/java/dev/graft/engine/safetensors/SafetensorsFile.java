package dev.graft.engine.safetensors;

import dev.graft.engine.Backend;
import dev.graft.engine.Backends;
import dev.graft.engine.Shape;
import dev.graft.engine.Storage;
import dev.graft.engine.Tensor;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntToLongFunction;

/**
 * A safetensors file opened for reading. {@link #open} validates the whole header and memory-maps the file
 * (any size: the mapping is a {@link MemorySegment}); tensors are copied out of the mapping only when asked
 * for. F32, F64 and I64 load as themselves, F16 and BF16 widen to F32, and the other integer types and BOOL
 * widen to I64. Thread-safe for reading; close it to unmap.
 */
public final class SafetensorsFile implements AutoCloseable {
    /** The reference implementation's cap on the JSON header; bounds the memory a header can claim. */
    static final long MAX_HEADER_BYTES = 100_000_000;
    /** The most elements a graft tensor holds (see {@link Shape#numel}). */
    private static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;
    // Unaligned: the format does not promise aligned data offsets.
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(LE);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(LE);
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(LE);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);

    /**
     * Where a tensor lives: its dtype as the header names it ({@code "F16"}, …), its shape, and its byte range
     * [begin, end) relative to the data area that follows the header.
     */
    public record TensorInfo(String dtype, int[] shape, long begin, long end) {
        public TensorInfo {
            shape = shape.clone();
        }

        @Override
        public int[] shape() {
            return shape.clone();
        }

        /** Number of elements (1 for a 0-d tensor). */
        public long numel() {
            long n = 1;
            for (int d : shape) {
                n *= d; // cannot overflow: validated against the byte range when the file was opened
            }
            return n;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof TensorInfo t && dtype.equals(t.dtype) && Arrays.equals(shape, t.shape)
                    && begin == t.begin && end == t.end;
        }

        @Override
        public int hashCode() {
            return (dtype.hashCode() * 31 + Arrays.hashCode(shape)) * 31 + Long.hashCode(begin * 31 + end);
        }

        @Override
        public String toString() {
            return dtype + " " + Shape.format(shape) + " bytes [" + begin + ", " + end + ")";
        }
    }

    private final Path path;
    private final Arena arena;
    private final MemorySegment data;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;

    private SafetensorsFile(Path path, Arena arena, MemorySegment data, SafetensorsHeader.Parsed header) {
        this.path = path;
        this.arena = arena;
        this.data = data;
        this.tensors = header.tensors();
        this.metadata = header.metadata();
    }

    /**
     * Opens and validates {@code path}.
     *
     * @throws SafetensorsFormatException if the file is not a well-formed safetensors file
     * @throws IOException if it cannot be read
     */
    public static SafetensorsFile open(Path path) throws IOException, SafetensorsFormatException {
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size < 8) {
                throw error(path, "file is " + size + " bytes, too short for the 8-byte header length");
            }
            long headerLength = readFully(path, channel, 0, 8).order(LE).getLong();
            if (headerLength < 0 || headerLength > MAX_HEADER_BYTES) {
                throw error(path, "header length " + Long.toUnsignedString(headerLength) + " exceeds the limit of "
                        + MAX_HEADER_BYTES + " bytes");
            }
            if (headerLength > size - 8) {
                throw error(path, "header length " + headerLength + " reaches beyond the end of the " + size
                        + "-byte file");
            }
            byte[] header = readFully(path, channel, 8, (int) headerLength).array();
            long dataStart = 8 + headerLength;
            SafetensorsHeader.Parsed parsed = SafetensorsHeader.parse(path, header, size - dataStart);
            Arena arena = Arena.ofShared();
            try {
                MemorySegment file = channel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
                return new SafetensorsFile(path, arena, file.asSlice(dataStart), parsed);
            } catch (IOException | RuntimeException e) {
                arena.close();
                throw e;
            }
        }
    }

    /** Reads {@code length} bytes at {@code position}; the caller has checked they lie inside the file. */
    private static ByteBuffer readFully(Path path, FileChannel channel, long position, int length)
            throws IOException, SafetensorsFormatException {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        while (buffer.hasRemaining()) {
            if (channel.read(buffer, position + buffer.position()) < 0) {
                throw error(path, "file ended at byte " + (position + buffer.position()) + " while reading the header"
                        + " (was it truncated while being opened?)");
            }
        }
        return buffer.flip();
    }

    /** The tensor names in the order of their data in the file. */
    public List<String> names() {
        return List.copyOf(tensors.keySet());
    }

    /** Dtype, shape and byte range of tensor {@code name}; throws IllegalArgumentException if there is none. */
    public TensorInfo info(String name) {
        TensorInfo info = tensors.get(name);
        if (info == null) {
            throw new IllegalArgumentException(path + ": no tensor named " + SafetensorsHeader.quote(name) + " among "
                    + tensors.size() + " tensors");
        }
        return info;
    }

    /** The header's {@code __metadata__} map, empty if it has none. */
    public Map<String, String> metadata() {
        return metadata;
    }

    /**
     * Copies tensor {@code name} out of the file, converting its dtype as the class comment says.
     *
     * @throws SafetensorsFormatException if the tensor has more elements than a graft tensor can hold
     */
    public Tensor tensor(String name) throws SafetensorsFormatException {
        TensorInfo info = info(name);
        if (!arena.scope().isAlive()) {
            throw new IllegalStateException(path + ": file is closed");
        }
        long numel = info.numel();
        if (numel > MAX_ELEMENTS) {
            throw error(path, "tensor " + SafetensorsHeader.quote(name) + " of shape " + Shape.format(info.shape)
                    + " has " + numel + " elements, more than a graft tensor holds (" + MAX_ELEMENTS + ")");
        }
        MemorySegment src = data.asSlice(info.begin(), info.end() - info.begin());
        return Tensor.of(load(StoredType.byName(info.dtype()), src, (int) numel), info.shape);
    }

    private static Storage load(StoredType type, MemorySegment src, int n) {
        Backend backend = Backends.cpu();
        return switch (type) {
            case F32 -> {
                float[] v = new float[n];
                MemorySegment.copy(src, F32, 0, v, 0, n);
                yield backend.upload(v);
            }
            case F64 -> {
                double[] v = new double[n];
                MemorySegment.copy(src, F64, 0, v, 0, n);
                yield backend.upload(v);
            }
            case I64 -> {
                long[] v = new long[n];
                MemorySegment.copy(src, I64, 0, v, 0, n);
                yield backend.upload(v);
            }
            case F16 -> backend.upload(halves(src, n, false));
            case BF16 -> backend.upload(halves(src, n, true));
            case I32 -> backend.upload(widen(n, i -> src.getAtIndex(I32, i)));
            case I16 -> backend.upload(widen(n, i -> src.getAtIndex(I16, i)));
            case I8 -> backend.upload(widen(n, i -> src.get(ValueLayout.JAVA_BYTE, i)));
            case U8 -> backend.upload(widen(n, i -> Byte.toUnsignedLong(src.get(ValueLayout.JAVA_BYTE, i))));
            case BOOL -> backend.upload(widen(n, i -> src.get(ValueLayout.JAVA_BYTE, i) != 0 ? 1 : 0));
        };
    }

    private static float[] halves(MemorySegment src, int n, boolean brain) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            short bits = src.getAtIndex(I16, i);
            // BF16 is the upper half of an IEEE float32, so widening it is a shift.
            v[i] = brain ? Float.intBitsToFloat(bits << 16) : Float.float16ToFloat(bits);
        }
        return v;
    }

    private static long[] widen(int n, IntToLongFunction element) {
        long[] v = new long[n];
        for (int i = 0; i < n; i++) {
            v[i] = element.applyAsLong(i);
        }
        return v;
    }

    /** Every tensor, in file order (see {@link #tensor}). */
    public Map<String, Tensor> tensors() throws SafetensorsFormatException {
        Map<String, Tensor> all = new LinkedHashMap<>();
        for (String name : tensors.keySet()) {
            all.put(name, tensor(name));
        }
        return all;
    }

    /** Unmaps the file; tensors already read stay valid. Closing twice is harmless. */
    @Override
    public synchronized void close() {
        if (arena.scope().isAlive()) {
            arena.close();
        }
    }

    @Override
    public String toString() {
        return "SafetensorsFile(" + path + ", " + tensors.size() + " tensors)";
    }

    private static SafetensorsFormatException error(Path path, String detail) {
        return new SafetensorsFormatException(path + ": " + detail);
    }
}
