package dev.graft.weights;

/**
 * A tensor as a rebuild call describes it: a view (offset, shape, strides in elements) into a storage whose
 * bytes may not be read yet (legacy files put them after the pickle). Checked on construction to stay inside
 * the storage, so decoding never indexes out of range.
 */
record TensorSpec(StorageRef storage, long offset, int[] shape, long[] stride, int numel) {

    @Override
    public String toString() {
        return "tensor";
    }
}
