package dev.graft.weights;

import dev.graft.engine.DType;

/**
 * The typed storages graft reads ({@code torch.FloatStorage} and so on), their element width in the file and
 * the graft dtype they become: F16/BF16 widen to F32, every integer type and bool widen to I64.
 */
enum StorageType {
    FLOAT("FloatStorage", 4, DType.F32),
    DOUBLE("DoubleStorage", 8, DType.F64),
    HALF("HalfStorage", 2, DType.F32),
    BFLOAT16("BFloat16Storage", 2, DType.F32),
    LONG("LongStorage", 8, DType.I64),
    INT("IntStorage", 4, DType.I64),
    SHORT("ShortStorage", 2, DType.I64),
    CHAR("CharStorage", 1, DType.I64),
    BYTE("ByteStorage", 1, DType.I64),
    BOOL("BoolStorage", 1, DType.I64);

    private final String pythonName;
    private final int elementSize;
    private final DType target;

    StorageType(String pythonName, int elementSize, DType target) {
        this.pythonName = pythonName;
        this.elementSize = elementSize;
        this.target = target;
    }

    /** The type for a name in module {@code torch}, or null. */
    static StorageType forName(String name) {
        for (StorageType t : values()) {
            if (t.pythonName.equals(name)) {
                return t;
            }
        }
        return null;
    }

    int elementSize() {
        return elementSize;
    }

    DType target() {
        return target;
    }

    @Override
    public String toString() {
        return "torch." + pythonName;
    }
}
