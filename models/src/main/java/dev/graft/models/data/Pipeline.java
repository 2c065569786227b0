package dev.graft.models.data;

import dev.graft.engine.Tensor;
import dev.graft.models.Preprocessing;
import dev.graft.models.Preprocessing.Interpolation;
import dev.graft.models.image.FloatImage;
import dev.graft.models.image.ImageTransform;
import dev.graft.models.image.Normalize;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.random.RandomGenerator;
import java.util.stream.Collectors;

/**
 * A [C, H, W] image in [0, 1] (as {@code ImageDecoder} gives) → normalised network input [C, size, size]: the
 * train and eval transforms of torchvision's recipes, built from a model's {@link Preprocessing}.
 *
 * <p>A one-channel (grey) image given to a three-channel pipeline is first replicated into three channels,
 * as Pillow's {@code convert("RGB")} does. A pipeline is immutable and safe to use from many threads; its
 * randomness comes only from the generator passed to {@link #apply}.
 */
public final class Pipeline {
    private final Preprocessing preprocessing;
    private final int imageSize;
    private final List<Step> steps;

    /** Of any steps; the factories below build the standard ones. */
    Pipeline(Preprocessing preprocessing, int imageSize, List<Step> steps) {
        this.preprocessing = preprocessing;
        this.imageSize = imageSize;
        this.steps = List.copyOf(steps);
    }

    /**
     * STANDARD: RandomResizedCrop(size, scale (0.08, 1), ratio (3/4, 4/3), bilinear) + RandomHorizontalFlip +
     * ColorJitter(0.4, 0.4, 0.4, 0); LIGHT: RandomResizedCrop(size, scale (0.6, 1)) + RandomHorizontalFlip;
     * NONE: the {@link #eval} pipeline. All end with Normalize(preprocessing's mean, std).
     *
     * @throws IllegalArgumentException when {@code imageSize < 1}
     */
    public static Pipeline train(Preprocessing p, Augment augment, int imageSize) {
        checkSize(imageSize);
        Step normalize = new Normalizing(new Normalize(p), p);
        return switch (augment) {
            case NONE -> eval(p, imageSize);
            case STANDARD -> new Pipeline(p, imageSize, List.of(
                    new RandomResizedCrop(imageSize, 0.08, 1, 3.0 / 4, 4.0 / 3, Interpolation.BILINEAR),
                    new RandomHorizontalFlip(0.5), new ColorJitter(0.4, 0.4, 0.4), normalize));
            case LIGHT -> new Pipeline(p, imageSize, List.of(
                    new RandomResizedCrop(imageSize, 0.6, 1, 3.0 / 4, 4.0 / 3, Interpolation.BILINEAR),
                    new RandomHorizontalFlip(0.5), normalize));
        };
    }

    /**
     * Resize(floor(imageSize · resizeSize / inputSize)) or, without a resize size (CIFAR), Resize(imageSize),
     * then CenterCrop(imageSize) and Normalize: {@link ImageTransform} at {@code imageSize}, so at the
     * preprocessing's own input size the output is exactly {@code new ImageTransform(p).apply(image)}.
     *
     * @throws IllegalArgumentException when {@code imageSize < 1}
     */
    public static Pipeline eval(Preprocessing p, int imageSize) {
        checkSize(imageSize);
        return new Pipeline(p, imageSize, List.of(new Evaluation(new ImageTransform(p, imageSize))));
    }

    /** True iff no step is random, so that {@link #apply} ignores its generator. */
    public boolean deterministic() {
        return steps.stream().noneMatch(Step::random);
    }

    /** Side of the square output. */
    public int imageSize() {
        return imageSize;
    }

    /** Channels of the output. */
    public int channels() {
        return preprocessing.channels();
    }

    /**
     * The network input for {@code image}, [C, imageSize, imageSize].
     *
     * @param rng the source of every random choice; may be null for a {@link #deterministic()} pipeline
     * @throws IllegalArgumentException when the image is not [C, H, W] with the preprocessing's channel count
     *                                  (or one channel for a three-channel pipeline), or when a random pipeline
     *                                  gets no generator
     */
    public Tensor apply(Tensor image, RandomGenerator rng) {
        if (image.dim() != 3) {
            throw new IllegalArgumentException("pipeline: expected a [C, H, W] image, got shape "
                    + Arrays.toString(image.shape()));
        }
        return apply(FloatImage.of(image), rng).toTensor();
    }

    /** {@link #apply(Tensor, RandomGenerator)} on an image's samples. */
    FloatImage apply(FloatImage image, RandomGenerator rng) {
        int channels = preprocessing.channels();
        if (image.channels() == 1 && channels == 3) {
            image = greyToRgb(image);
        } else if (image.channels() != channels) {
            throw new IllegalArgumentException("pipeline: expected a [" + channels + ", H, W] image"
                    + (channels == 3 ? " (or a [1, H, W] grey one)" : "") + ", got " + image.channels() + " channels");
        }
        if (rng == null && !deterministic()) {
            throw new IllegalArgumentException("pipeline: a random pipeline needs a generator, got null");
        }
        for (Step step : steps) {
            image = step.apply(image, rng);
        }
        return image;
    }

    private static FloatImage greyToRgb(FloatImage grey) {
        int plane = grey.height() * grey.width();
        float[] rgb = new float[3 * plane];
        for (int c = 0; c < 3; c++) {
            System.arraycopy(grey.data(), 0, rgb, c * plane, plane);
        }
        return new FloatImage(3, grey.height(), grey.width(), rgb);
    }

    private static void checkSize(int imageSize) {
        if (imageSize < 1) {
            throw new IllegalArgumentException("pipeline: image size must be >= 1, got " + imageSize);
        }
    }

    /** The steps, as torchvision would print its Compose. */
    @Override
    public String toString() {
        return steps.stream().map(Step::toString).collect(Collectors.joining(", ", "Pipeline[", "]"));
    }

    /** The final Normalize of a training pipeline. */
    private record Normalizing(Normalize normalize, Preprocessing p) implements Step {
        @Override
        public FloatImage apply(FloatImage image, RandomGenerator rng) {
            return normalize.apply(image);
        }

        @Override
        public boolean random() {
            return false;
        }

        @Override
        public String toString() {
            return "Normalize(mean=" + p.mean() + ", std=" + p.std() + ")";
        }
    }

    /** The whole evaluation transform. */
    private record Evaluation(ImageTransform transform) implements Step {
        @Override
        public FloatImage apply(FloatImage image, RandomGenerator rng) {
            return transform.apply(image);
        }

        @Override
        public boolean random() {
            return false;
        }

        @Override
        public String toString() {
            Preprocessing p = transform.preprocessing();
            return "Resize(" + transform.resizeSize() + ", " + p.interpolation().name().toLowerCase(Locale.ROOT)
                    + "), CenterCrop(" + transform.imageSize() + "), Normalize(mean=" + p.mean() + ", std="
                    + p.std() + ")";
        }
    }
}
