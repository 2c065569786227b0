/**
 * Readers for other people's checkpoints, starting with PyTorch's {@code torch.save} files
 * ({@link dev.graft.weights.PytorchCheckpoint}).
 *
 * <p><b>Safety stance: weights only.</b> A {@code .pth} file is a Python pickle, and unpickling with Python's
 * {@code pickle} module can import any module and call any function the file names, so loading an untrusted
 * checkpoint is running untrusted code. graft never does that. Its pickle interpreter implements only the
 * opcodes {@code torch.save} emits, keeps Python values as plain Java values, and resolves globals against a
 * fixed allow-list (OrderedDict, PyTorch's tensor and parameter rebuild functions, the typed storages), the
 * same idea as PyTorch's {@code torch.load(..., weights_only=True)}. Any other global, such as
 * {@code os.system} or a model class saved with {@code torch.save(model)}, is refused by name; nothing is ever
 * instantiated or called beyond the allow-listed rebuild logic, which only copies numbers into graft tensors.
 *
 * <p>Files are also treated as hostile input in size: every length, count, memo index, stride and offset read
 * from a file is checked against the bytes actually present before anything is allocated or indexed, and the
 * elements decoded in total never exceed the file's size. Whatever the bytes, a reader either returns tensors
 * or throws {@link dev.graft.weights.CheckpointFormatException} naming the file and the problem.
 */
package dev.graft.weights;
