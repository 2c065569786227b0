/**
 * Weights in and out of graft: {@link dev.graft.models.bundle.WeightsLoader} builds a ready network from a graft
 * bundle, a torchvision-named safetensors file or a PyTorch checkpoint; {@link dev.graft.models.bundle.ModelBundle}
 * writes graft's own format, one safetensors file with the weights and {@link dev.graft.models.bundle.BundleMetadata}.
 */
package dev.graft.models.bundle;
