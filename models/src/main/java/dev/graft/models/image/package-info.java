/**
 * Images to network inputs: {@link dev.graft.models.image.ImageDecoder} decodes files into [3, H, W] tensors in
 * [0, 1] as torchvision's {@code ToTensor()} would see them, and {@link dev.graft.models.image.ImageTransform}
 * applies a {@link dev.graft.models.Preprocessing} (resize, center crop, normalise) and batches into NCHW.
 */
package dev.graft.models.image;
