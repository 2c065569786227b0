/**
 * Images to network inputs: {@link dev.graft.models.image.ImageDecoder} decodes files into [3, H, W] tensors in
 * [0, 1] as torchvision's {@code ToTensor()} would see them; {@link dev.graft.models.image.FloatImage} carries
 * such samples through torchvision's functional transforms ({@link dev.graft.models.image.Resize},
 * {@link dev.graft.models.image.Crop}, {@link dev.graft.models.image.Flip},
 * {@link dev.graft.models.image.ColorAdjust}, {@link dev.graft.models.image.Normalize}); and
 * {@link dev.graft.models.image.ImageTransform} applies a {@link dev.graft.models.Preprocessing}'s inference
 * transform (resize, center crop, normalise) and batches into NCHW. The random training augmentations built
 * from these live in {@code dev.graft.models.data}.
 */
package dev.graft.models.image;
