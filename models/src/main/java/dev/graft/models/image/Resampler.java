package dev.graft.models.image;

import dev.graft.models.Preprocessing.Interpolation;

/**
 * Separable convolution resampling, the algorithm of Pillow's {@code Image.resize} (which torchvision uses for
 * PIL images): output pixel {@code i} of an axis scaled by {@code scale = in / out} is centred on source
 * coordinate {@code (i + 0.5) · scale}, and its weights are the filter evaluated at the source pixel centres,
 * stretched by {@code max(scale, 1)} and normalised to sum to one. When shrinking, the stretched filter
 * covers the whole source footprint of the output pixel (area-aware, antialiased); when enlarging it is plain
 * interpolation with half-pixel centres ({@code align_corners=False}). The horizontal pass runs first.
 *
 * <p>On float data this is Pillow's mode-"F" resize, bit for bit (the image tests hold it to Pillow). For the
 * 8-bit images torchvision normally resizes, Pillow instead uses 22-bit fixed-point weights and rounds and
 * clips to 0…255 after each pass, while graft keeps full precision throughout. Measured through the whole
 * ImageNet transform (resize 256, crop 224) on the 153 hymenoptera validation photographs: graft differs from
 * torchvision by at most one 8-bit level (1/255) before normalisation, 0.29 levels on average. Bicubic
 * output is not clipped here.
 */
final class Resampler {
    private Resampler() {
    }

    /**
     * Resizes {@code channels} planes of {@code inH × inW} floats (row-major, plane after plane) to
     * {@code outH × outW}.
     */
    static float[] resize(float[] src, int channels, int inH, int inW, int outH, int outW, Interpolation filter) {
        if (inH < 1 || inW < 1 || outH < 1 || outW < 1 || src.length != channels * inH * inW) {
            throw new IllegalArgumentException("resize: need positive sizes and " + channels + "×" + inH + "×" + inW
                    + " values, got " + src.length + " values to " + outH + "×" + outW);
        }
        float[] wide = src;
        if (outW != inW) {
            wide = new float[channels * inH * outW];
            // Rows are lines: row r starts at r·inW in src and r·outW in the result, samples adjacent.
            pass(Weights.of(inW, outW, filter), channels * inH, src, 0, inW, 1, wide, 0, outW, 1);
        }
        if (outH == inH) {
            return wide;
        }
        float[] out = new float[channels * outH * outW];
        Weights weights = Weights.of(inH, outH, filter);
        for (int c = 0; c < channels; c++) {
            // Columns of a plane are lines: column x starts at x, samples a row (outW) apart.
            pass(weights, outW, wide, c * inH * outW, 1, outW, out, c * outH * outW, 1, outW);
        }
        return out;
    }

    /**
     * Resamples {@code lines} lines along one axis: line {@code l} starts at {@code srcOff + l · srcLine} in
     * {@code src}, its samples {@code srcStep} apart, and goes to {@code dstOff + l · dstLine} in {@code dst},
     * samples {@code dstStep} apart.
     */
    private static void pass(Weights weights, int lines, float[] src, int srcOff, int srcLine, int srcStep,
                             float[] dst, int dstOff, int dstLine, int dstStep) {
        int outSize = weights.first.length;
        for (int l = 0; l < lines; l++) {
            for (int i = 0; i < outSize; i++) {
                double sum = 0;
                int at = srcOff + l * srcLine + weights.first[i] * srcStep;
                for (double w : weights.kernel[i]) {
                    sum += w * src[at];
                    at += srcStep;
                }
                dst[dstOff + l * dstLine + i * dstStep] = (float) sum;
            }
        }
    }

    /** Per output pixel, the first source index it reads and the normalised weights from there on. */
    private record Weights(int[] first, double[][] kernel) {
        static Weights of(int inSize, int outSize, Interpolation filter) {
            double scale = (double) inSize / outSize;
            double stretch = Math.max(scale, 1);
            double inverse = 1 / stretch;
            double support = support(filter) * stretch;
            int[] first = new int[outSize];
            double[][] kernel = new double[outSize][];
            for (int i = 0; i < outSize; i++) {
                double centre = (i + 0.5) * scale;
                // Pillow's bounds: (int) truncates, then clamps to the image.
                int lo = Math.max((int) (centre - support + 0.5), 0);
                int hi = Math.min((int) (centre + support + 0.5), inSize);
                double[] k = new double[hi - lo];
                double total = 0;
                for (int s = lo; s < hi; s++) {
                    k[s - lo] = filter(filter, (s - centre + 0.5) * inverse);
                    total += k[s - lo];
                }
                for (int j = 0; j < k.length; j++) {
                    k[j] = total == 0 ? 0 : k[j] / total;
                }
                first[i] = lo;
                kernel[i] = k;
            }
            return new Weights(first, kernel);
        }

        private static double support(Interpolation filter) {
            return switch (filter) {
                case BILINEAR -> 1;
                case BICUBIC -> 2;
            };
        }

        /** Triangle, or Keys' cubic convolution with a = −0.5 (Pillow's choice). */
        private static double filter(Interpolation filter, double x) {
            double t = Math.abs(x);
            return switch (filter) {
                case BILINEAR -> t < 1 ? 1 - t : 0;
                case BICUBIC -> {
                    double a = -0.5;
                    if (t < 1) {
                        yield ((a + 2) * t - (a + 3)) * t * t + 1;
                    }
                    yield t < 2 ? (((t - 5) * t + 8) * t - 4) * a : 0;
                }
            };
        }
    }
}
