package dev.graft.models.image;

import dev.graft.models.Preprocessing;

/**
 * torchvision's {@code Normalize(mean, std)}: each channel becomes {@code (x − mean) / std} in float32, the
 * mean and std rounded to float32 first, which reproduces torchvision bit for bit.
 */
public final class Normalize {
    private final float[] mean;
    private final float[] std;

    /** The normalisation of {@code preprocessing}'s mean and std. */
    public Normalize(Preprocessing preprocessing) {
        int channels = preprocessing.channels();
        mean = new float[channels];
        std = new float[channels];
        for (int c = 0; c < channels; c++) {
            mean[c] = preprocessing.mean().get(c).floatValue();
            std[c] = preprocessing.std().get(c).floatValue();
        }
    }

    public FloatImage apply(FloatImage image) {
        if (image.channels() != mean.length) {
            throw new IllegalArgumentException("normalize: expected " + mean.length + " channels, got "
                    + image.channels());
        }
        int plane = image.plane();
        float[] src = image.data();
        float[] out = new float[src.length];
        for (int c = 0; c < mean.length; c++) {
            for (int i = c * plane; i < (c + 1) * plane; i++) {
                out[i] = (src[i] - mean[c]) / std[c];
            }
        }
        return new FloatImage(image.channels(), image.height(), image.width(), out);
    }
}
