/**
 * The safetensors format, graft's native weights format: an 8-byte little-endian header length N, N bytes of
 * UTF-8 JSON mapping each tensor name to {@code {"dtype", "shape", "data_offsets": [begin, end]}} (offsets
 * relative to the data area that follows the header) plus an optional {@code "__metadata__"} map of strings,
 * then the raw little-endian, C-order tensor data.
 *
 * <p>Safety stance: files are untrusted input. {@link dev.graft.engine.safetensors.SafetensorsFile#open}
 * validates the whole header before any tensor is read, with the reference implementation's rules (header
 * at most 100 MB and inside the file, known dtypes, sizes consistent with shapes, tensors tiling the data
 * area exactly, no duplicate keys), and reports every violation as a
 * {@link dev.graft.engine.safetensors.SafetensorsFormatException} naming the file and field. No size read
 * from a file drives an allocation beyond the file's own size, and nothing in a header is ever executed.
 * {@link dev.graft.engine.safetensors.SafetensorsWriter} replaces its target atomically, so a crash or error
 * mid-write never leaves a half-written weights file behind.
 */
package dev.graft.engine.safetensors;
