package dev.graft.models.image;

import dev.graft.engine.Tensor;

import java.util.Arrays;

/**
 * An image as float samples, usually in [0, 1]: {@code channels} planes of {@code height × width} values,
 * row-major, one plane after another (CHW, as a [C, H, W] tensor holds it). The transforms in this package
 * take and return these rather than tensors so that a pipeline of them copies no more than it must.
 *
 * <p>{@code data} is shared, not copied: a transform never writes into its input's array, and nobody should
 * write into an image's array once it has been handed on.
 */
public record FloatImage(int channels, int height, int width, float[] data) {
    public FloatImage {
        if (channels < 1 || height < 1 || width < 1 || data == null
                || data.length != (long) channels * height * width) {
            throw new IllegalArgumentException("image: need positive sizes and channels·height·width values, got "
                    + channels + "×" + height + "×" + width + " and "
                    + (data == null ? "no array" : data.length + " values"));
        }
    }

    /** A copy of a [C, H, W] tensor's values. */
    public static FloatImage of(Tensor chw) {
        if (chw.dim() != 3) {
            throw new IllegalArgumentException("image: expected a [C, H, W] tensor, got shape "
                    + Arrays.toString(chw.shape()));
        }
        return new FloatImage(chw.size(0), chw.size(1), chw.size(2), chw.toFloatArray());
    }

    /** A float32 [C, H, W] tensor over a copy of the samples. */
    public Tensor toTensor() {
        return Tensor.of(data, channels, height, width);
    }

    /** Number of samples in one channel. */
    int plane() {
        return height * width;
    }

    @Override
    public String toString() {
        return "FloatImage[" + channels + "×" + height + "×" + width + "]";
    }
}
