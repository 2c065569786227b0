package dev.graft.models.image;

import dev.graft.engine.Tensor;
import dev.graft.models.Preprocessing;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * The inference transform a {@link Preprocessing} describes, as torchvision's
 * {@code Compose([Resize(resize), CenterCrop(input), ToTensor(), Normalize(mean, std)])} applies it to a PIL
 * image.
 *
 * <ol>
 *   <li>With a resize size: the shorter side is scaled to it and the longer one to
 *       {@code (int) (resize · long / short)} (torchvision's truncation), with {@code Resampler}; an image whose
 *       shorter side already has that size is left alone. Without one (CIFAR): an image of exactly
 *       {@code inputSize} × {@code inputSize} is used as it is, any other is first resized the same way with
 *       its shorter side to {@code inputSize}.</li>
 *   <li>Center crop to {@code inputSize}: top and left offsets {@code round((side − inputSize) / 2)} with
 *       round-half-even, as Python's {@code round}. Both sides are at least {@code inputSize} by then.</li>
 *   <li>Normalise each channel as {@code (x − mean) / std} in float32, the mean and std rounded to float32
 *       first, which reproduces torchvision's {@code Normalize} bit for bit.</li>
 * </ol>
 *
 * Where no resize happens the output equals torchvision's for identical decoded pixels. Resized images differ
 * by up to 1/255 before normalisation because Pillow resamples 8-bit images in fixed point (see
 * {@code Resampler}, which has the measurements). Resampled values are clipped to [0, 1], as Pillow clips the
 * 8-bit image.
 */
public final class ImageTransform {
    private final Preprocessing preprocessing;
    private final float[] mean;
    private final float[] std;

    public ImageTransform(Preprocessing preprocessing) {
        this.preprocessing = preprocessing;
        int channels = preprocessing.channels();
        mean = new float[channels];
        std = new float[channels];
        for (int c = 0; c < channels; c++) {
            mean[c] = preprocessing.mean().get(c).floatValue();
            std[c] = preprocessing.std().get(c).floatValue();
        }
    }

    public Preprocessing preprocessing() {
        return preprocessing;
    }

    /** Decodes {@code file} with {@link ImageDecoder} and transforms it: [C, inputSize, inputSize]. */
    public Tensor load(Path file) throws IOException {
        return apply(ImageDecoder.read(file));
    }

    /** Decodes and transforms every file, in order: [N, C, inputSize, inputSize]. */
    public Tensor loadBatch(List<Path> files) throws IOException {
        if (files.isEmpty()) {
            throw new IllegalArgumentException("loadBatch: no files");
        }
        Tensor[] images = new Tensor[files.size()];
        for (int i = 0; i < images.length; i++) {
            images[i] = load(files.get(i));
        }
        return Tensor.stack(0, images);
    }

    /**
     * Transforms a [C, H, W] image with values in [0, 1] (as {@link ImageDecoder} gives) into the network's
     * normalised [C, inputSize, inputSize] input.
     *
     * @throws IllegalArgumentException when the image is not 3-D or its channel count differs from the
     *                                  normalisation's
     */
    public Tensor apply(Tensor image) {
        int channels = preprocessing.channels();
        if (image.dim() != 3 || image.size(0) != channels) {
            throw new IllegalArgumentException("transform: expected a [" + channels + ", H, W] image, got shape "
                    + Arrays.toString(image.shape()));
        }
        int h = image.size(1);
        int w = image.size(2);
        float[] pixels = image.toFloatArray();
        int size = preprocessing.inputSize();
        int shorter = preprocessing.resizeSize().orElse(size);
        boolean resize = preprocessing.resizeSize().isPresent() ? Math.min(h, w) != shorter : h != size || w != size;
        if (resize) {
            int longer = (int) ((double) shorter * Math.max(h, w) / Math.min(h, w));
            int outH = h <= w ? shorter : longer;
            int outW = h <= w ? longer : shorter;
            pixels = Resampler.resize(pixels, channels, h, w, outH, outW, preprocessing.interpolation());
            for (int i = 0; i < pixels.length; i++) {
                pixels[i] = Math.clamp(pixels[i], 0f, 1f);
            }
            h = outH;
            w = outW;
        }
        float[] out = centerCrop(pixels, channels, h, w, size);
        int plane = size * size;
        for (int c = 0; c < channels; c++) {
            for (int i = c * plane; i < (c + 1) * plane; i++) {
                out[i] = (out[i] - mean[c]) / std[c];
            }
        }
        return Tensor.of(out, channels, size, size);
    }

    /**
     * torchvision's center_crop to {@code size} × {@code size} of an image at least that large: offsets
     * {@code round((side − size) / 2)}, half to even as Python rounds.
     */
    private static float[] centerCrop(float[] pixels, int channels, int h, int w, int size) {
        int top = (int) Math.rint((h - size) / 2.0);
        int left = (int) Math.rint((w - size) / 2.0);
        float[] out = new float[channels * size * size];
        for (int c = 0; c < channels; c++) {
            for (int y = 0; y < size; y++) {
                System.arraycopy(pixels, (c * h + y + top) * w + left, out, (c * size + y) * size, size);
            }
        }
        return out;
    }
}
