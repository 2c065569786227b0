package dev.graft.models.image;

/** torchvision's {@code hflip}. */
public final class Flip {
    private Flip() {
    }

    /** The image mirrored left to right. */
    public static FloatImage horizontal(FloatImage image) {
        int w = image.width();
        float[] src = image.data();
        float[] out = new float[src.length];
        for (int row = 0; row < image.channels() * image.height(); row++) {
            int start = row * w;
            for (int x = 0; x < w; x++) {
                out[start + x] = src[start + w - 1 - x];
            }
        }
        return new FloatImage(image.channels(), image.height(), w, out);
    }
}
