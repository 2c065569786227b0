package dev.graft.models.image;

import dev.graft.engine.Tensor;
import dev.graft.models.Preprocessing;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * The inference transform a {@link Preprocessing} describes, as torchvision's
 * {@code Compose([Resize(resize), CenterCrop(size), ToTensor(), Normalize(mean, std)])} applies it to a PIL
 * image, at the preprocessing's own input size or at another image size.
 *
 * <ol>
 *   <li>{@link Resize#shorterSide}: the shorter side is scaled to {@code resize} and the longer one to
 *       {@code (int) (resize · long / short)}; an image whose shorter side already has that size is left
 *       alone. At image size {@code n}, {@code resize} is {@code floor(n · resizeSize / inputSize)} (256 for
 *       the ImageNet networks at 224), or {@code n} itself for a preprocessing without a resize size (CIFAR:
 *       32×32 images pass untouched at 32).</li>
 *   <li>{@link Crop#center} to {@code n × n}.</li>
 *   <li>{@link Normalize}.</li>
 * </ol>
 *
 * Where no resize happens the output equals torchvision's for identical decoded pixels. Resized images differ
 * by up to 1/255 before normalisation because Pillow resamples 8-bit images in fixed point (see
 * {@code Resampler}, which has the measurements).
 */
public final class ImageTransform {
    private final Preprocessing preprocessing;
    private final int imageSize;
    private final int resizeSize;
    private final Normalize normalize;

    /** The transform at the preprocessing's own input size. */
    public ImageTransform(Preprocessing preprocessing) {
        this(preprocessing, preprocessing.inputSize());
    }

    /**
     * The transform cropping {@code imageSize} × {@code imageSize}, the resize size scaled by the same factor.
     *
     * @throws IllegalArgumentException when {@code imageSize < 1}
     */
    public ImageTransform(Preprocessing preprocessing, int imageSize) {
        if (imageSize < 1) {
            throw new IllegalArgumentException("transform: image size must be >= 1, got " + imageSize);
        }
        this.preprocessing = preprocessing;
        this.imageSize = imageSize;
        this.resizeSize = preprocessing.resizeSize().isPresent()
                ? (int) ((long) imageSize * preprocessing.resizeSize().getAsInt() / preprocessing.inputSize())
                : imageSize;
        this.normalize = new Normalize(preprocessing);
    }

    public Preprocessing preprocessing() {
        return preprocessing;
    }

    /** Side of the square output. */
    public int imageSize() {
        return imageSize;
    }

    /** The size the shorter side is resized to before cropping. */
    public int resizeSize() {
        return resizeSize;
    }

    /** Decodes {@code file} with {@link ImageDecoder} and transforms it: [C, imageSize, imageSize]. */
    public Tensor load(Path file) throws IOException {
        return apply(ImageDecoder.read(file));
    }

    /** Decodes and transforms every file, in order: [N, C, imageSize, imageSize]. */
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
     * normalised [C, imageSize, imageSize] input.
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
        return apply(FloatImage.of(image)).toTensor();
    }

    /** {@link #apply(Tensor)} on an image's samples. */
    public FloatImage apply(FloatImage image) {
        FloatImage resized = Resize.shorterSide(image, resizeSize, preprocessing.interpolation());
        return normalize.apply(Crop.center(resized, imageSize, imageSize));
    }
}
