/**
 * NumPy's .npy format: the magic {@code \x93NUMPY}, a version (1.0, 2.0 or 3.0), a little-endian header
 * length (2 bytes in 1.0, 4 bytes after), then a Python dict literal such as
 * {@code {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }} padded with spaces and a newline so
 * that the data starts 64-byte aligned, then the raw array data.
 *
 * <p>Safety stance: files are untrusted input. The header is parsed by a small grammar for exactly that
 * dict (strings, {@code True}/{@code False}, tuples of integers), never evaluated; the header length, the
 * element count and the data size are checked against graft's limits and the real file size before
 * anything is allocated, and every problem is a one-line
 * {@link dev.graft.weights.npy.NpyFormatException}. Only little-endian, C-ordered numeric data is read; the
 * writer replaces its target atomically.
 */
package dev.graft.weights.npy;
