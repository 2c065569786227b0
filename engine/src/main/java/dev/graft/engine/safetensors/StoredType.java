package dev.graft.engine.safetensors;

import java.util.Arrays;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/** The element types a safetensors header may name, with their sizes; graft converts each on load. */
enum StoredType {
    F64(8), F32(4), F16(2), BF16(2), I64(8), I32(4), I16(2), I8(1), U8(1), BOOL(1);

    private static final Map<String, StoredType> BY_NAME =
            Arrays.stream(values()).collect(Collectors.toUnmodifiableMap(Enum::name, Function.identity()));

    final int size;

    StoredType(int size) {
        this.size = size;
    }

    /** The type named {@code name} in a header, or null when there is none (valueOf would throw). */
    static StoredType byName(String name) {
        return BY_NAME.get(name);
    }
}
