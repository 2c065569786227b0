package dev.graft.models;

import java.util.List;
import java.util.OptionalInt;

/**
 * How images are prepared for a network's pretrained weights: resize the shorter side to {@code resizeSize}
 * with {@code interpolation} (when present), center-crop to {@code inputSize} × {@code inputSize}, scale to
 * [0, 1], then normalise each channel as {@code (x - mean) / std}.
 *
 * @param resizeSize empty when images are used at their native size (CIFAR)
 * @param mean       per channel, RGB order for the pretrained networks
 * @param std        per channel, same length as {@code mean}
 */
public record Preprocessing(int inputSize, OptionalInt resizeSize, Interpolation interpolation, List<Double> mean,
                            List<Double> std) {

    /** Resampling filter for resizing. */
    public enum Interpolation {
        BILINEAR, BICUBIC
    }

    private static final List<Double> IMAGENET_MEAN = List.of(0.485, 0.456, 0.406);
    private static final List<Double> IMAGENET_STD = List.of(0.229, 0.224, 0.225);

    /** torchvision's ImageNet evaluation transform: resize 256, center crop 224, bilinear. */
    static final Preprocessing IMAGENET =
            new Preprocessing(224, OptionalInt.of(256), Interpolation.BILINEAR, IMAGENET_MEAN, IMAGENET_STD);

    /** The public CIFAR ResNets: 32×32 images as they are, ImageNet statistics. */
    static final Preprocessing CIFAR =
            new Preprocessing(32, OptionalInt.empty(), Interpolation.BILINEAR, IMAGENET_MEAN, IMAGENET_STD);

    public Preprocessing {
        if (inputSize < 1 || resizeSize == null || resizeSize.isPresent() && resizeSize.getAsInt() < inputSize) {
            throw new IllegalArgumentException("Preprocessing: need inputSize >= 1 and resizeSize >= inputSize, got "
                    + inputSize + " and " + resizeSize);
        }
        if (interpolation == null || mean == null || std == null) {
            throw new IllegalArgumentException("Preprocessing: interpolation, mean and std must not be null, got "
                    + interpolation + ", " + mean + " and " + std);
        }
        mean = List.copyOf(mean);
        std = List.copyOf(std);
        if (mean.isEmpty() || mean.size() != std.size() || std.stream().anyMatch(s -> !(s > 0))) {
            throw new IllegalArgumentException("Preprocessing: need one mean and one positive std per channel, got mean "
                    + mean + " and std " + std);
        }
    }

    /** Number of channels the normalisation expects. */
    public int channels() {
        return mean.size();
    }
}
