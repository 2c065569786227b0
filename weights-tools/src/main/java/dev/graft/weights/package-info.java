/** Readers for other people's checkpoints (PyTorch zip and legacy, safetensors); filled by the models issue. */
package dev.graft.weights;
