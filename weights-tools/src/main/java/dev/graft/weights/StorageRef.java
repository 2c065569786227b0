package dev.graft.weights;

/**
 * What a persistent id resolves to: elements {@code [offset, offset + numel)} of the storage saved under
 * {@code key}. The offset is non-zero only for the storage views of old legacy files.
 */
record StorageRef(String key, StorageType type, long offset, long numel) {

    @Override
    public String toString() {
        return type + " '" + key + "'";
    }
}
