package dev.graft.models.data;

import dev.graft.engine.Tensor;
import dev.graft.models.Preprocessing;
import dev.graft.models.Preprocessing.Interpolation;
import dev.graft.models.data.RandomResizedCrop.Box;
import dev.graft.models.image.Crop;
import dev.graft.models.image.Flip;
import dev.graft.models.image.FloatImage;
import dev.graft.models.image.ImageTransform;
import dev.graft.models.image.Normalize;
import dev.graft.models.image.Resize;
import dev.graft.models.image.TorchvisionCases;
import dev.graft.models.image.TorchvisionCases.Case;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.OptionalInt;
import java.util.Random;
import java.util.random.RandomGenerator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link Pipeline}: the eval transform at any image size, the training augmentations, grey input. */
class PipelineTest {
    private static final List<Double> MEAN = List.of(0.485, 0.456, 0.406);
    private static final List<Double> STD = List.of(0.229, 0.224, 0.225);
    private static final Preprocessing IMAGENET =
            new Preprocessing(224, OptionalInt.of(256), Interpolation.BILINEAR, MEAN, STD);
    private static final Preprocessing CIFAR =
            new Preprocessing(32, OptionalInt.empty(), Interpolation.BILINEAR, MEAN, STD);

    @Property(tries = 40)
    void evalAtTheInputSizeIsImageTransformExactly(@ForAll @IntRange(min = 20, max = 300) int h,
                                                   @ForAll @IntRange(min = 20, max = 300) int w,
                                                   @ForAll boolean cifar,
                                                   @ForAll @IntRange(min = 0, max = 999) int seed) {
        Preprocessing p = cifar ? CIFAR : IMAGENET;
        Tensor image = random(3, h, w, seed);
        float[] expected = new ImageTransform(p).apply(image).toFloatArray();
        assertArrayEquals(expected, Pipeline.eval(p, p.inputSize()).apply(image, null).toFloatArray());
        assertArrayEquals(expected, Pipeline.train(p, Augment.NONE, p.inputSize()).apply(image, null).toFloatArray());
    }

    @Test
    void exactnessCheckCatchesADifferentTransform() {
        Tensor image = random(3, 40, 50, 1);
        Preprocessing otherMean = new Preprocessing(32, OptionalInt.empty(), Interpolation.BILINEAR,
                List.of(0.5, 0.456, 0.406), STD);
        assertFalse(Arrays.equals(new ImageTransform(otherMean).apply(image).toFloatArray(),
                Pipeline.eval(CIFAR, 32).apply(image, null).toFloatArray()));
    }

    @Test
    void imageSizeScalesTheResizeAsTorchvisionWould() {
        // ImageNet at 20: Resize(floor(20 · 256 / 224) = 22), CenterCrop(20). CIFAR at 40: Resize(40), CenterCrop(40).
        assertEquals(22, new ImageTransform(IMAGENET, 20).resizeSize());
        assertEquals(256, new ImageTransform(IMAGENET, 224).resizeSize());
        assertEquals(292, new ImageTransform(IMAGENET, 256).resizeSize());
        assertEquals(40, new ImageTransform(CIFAR, 40).resizeSize());
        for (Case c : TorchvisionCases.of("eval")) {
            Preprocessing p = c.name().contains("cifar") ? CIFAR : IMAGENET;
            Pipeline pipeline = Pipeline.eval(p, c.intArg(1));
            assertEquals(c.intArg(0), new ImageTransform(p, c.intArg(1)).resizeSize(), c.name());
            float[] got = denormalise(pipeline.apply(c.input().toTensor(), null));
            float worst = 0;
            for (int i = 0; i < got.length; i++) {
                worst = Math.max(worst, Math.abs(got[i] - c.expected()[i] / 255f));
            }
            assertTrue(worst <= 1 / 255f + 1e-5f, c.name() + ": max |Δ| " + worst * 255 + " levels");
        }
    }

    @Test
    void lightAugmentationIsCropResizeFlipNormalizeFromOneGenerator() {
        Pipeline light = Pipeline.train(CIFAR, Augment.LIGHT, 16);
        FloatImage image = FloatImage.of(random(3, 30, 40, 2));
        RandomResizedCrop crop = new RandomResizedCrop(16, 0.6, 1, 3.0 / 4, 4.0 / 3, Interpolation.BILINEAR);
        int flips = 0;
        for (long seed = 0; seed < 20; seed++) {
            RandomGenerator draws = RandomStreams.of(seed);
            Box box = crop.box(30, 40, draws);
            FloatImage expected = Resize.to(Crop.region(image, box.top(), box.left(), box.height(), box.width()),
                    16, 16, Interpolation.BILINEAR);
            if (draws.nextDouble() < 0.5) {
                expected = Flip.horizontal(expected);
                flips++;
            }
            expected = new Normalize(CIFAR).apply(expected);
            assertArrayEquals(expected.data(), light.apply(image, RandomStreams.of(seed)).data());
            assertTrue(box.height() * box.width() >= 0.6 * 1200 - 40, box.toString());
        }
        assertTrue(flips > 2 && flips < 18, "flips: " + flips);
    }

    @Test
    void standardAugmentationIsSeededAndStaysInRange() {
        Pipeline standard = Pipeline.train(IMAGENET, Augment.STANDARD, 24);
        assertFalse(standard.deterministic());
        Tensor image = random(3, 50, 70, 3);
        float[] a = standard.apply(image, RandomStreams.of(5)).toFloatArray();
        assertArrayEquals(a, standard.apply(image, RandomStreams.of(5)).toFloatArray());
        assertFalse(Arrays.equals(a, standard.apply(image, RandomStreams.of(6)).toFloatArray()));
        assertEquals(3 * 24 * 24, a.length);
        for (int i = 0; i < a.length; i++) {
            int c = i / (24 * 24);
            float lo = (0 - MEAN.get(c).floatValue()) / STD.get(c).floatValue();
            float hi = (1 - MEAN.get(c).floatValue()) / STD.get(c).floatValue();
            assertTrue(a[i] >= lo - 1e-6f && a[i] <= hi + 1e-6f, "sample " + i + " = " + a[i]);
        }
    }

    @Property(tries = 200)
    void colourJitterFactorsStayInTheirRange(@ForAll long seed) {
        // Brightness alone scales every sample by one factor, which can be read back from the output.
        ColorJitter jitter = new ColorJitter(0.4, 0, 0);
        FloatImage grey = new FloatImage(3, 1, 2, new float[] {0.5f, 0.25f, 0.5f, 0.25f, 0.5f, 0.25f});
        float[] out = jitter.apply(grey, RandomStreams.of(seed)).data();
        assertTrue(factorInRange(out, grey.data(), 0.6, 1.4), Arrays.toString(out));
    }

    @Test
    void factorCheckerCatchesAnOutOfRangeFactor() {
        float[] in = {0.5f, 0.25f};
        assertTrue(factorInRange(new float[] {0.6f, 0.3f}, in, 0.6, 1.4));
        assertFalse(factorInRange(new float[] {0.25f, 0.125f}, in, 0.6, 1.4));
        assertFalse(factorInRange(new float[] {0.6f, 0.25f}, in, 0.6, 1.4), "two different factors");
    }

    @Test
    void greyImagesAreReplicatedIntoThreeChannels() {
        Tensor grey = random(1, 30, 20, 4);
        Tensor rgb = Tensor.cat(0, grey, grey, grey);
        for (Pipeline p : List.of(Pipeline.eval(IMAGENET, 16), Pipeline.train(IMAGENET, Augment.STANDARD, 16))) {
            assertArrayEquals(p.apply(rgb, RandomStreams.of(1)).toFloatArray(),
                    p.apply(grey, RandomStreams.of(1)).toFloatArray(), p.toString());
        }
    }

    @Test
    void describesItselfAndRejectsBadInput() {
        Pipeline eval = Pipeline.eval(IMAGENET, 224);
        assertTrue(eval.deterministic());
        assertEquals(224, eval.imageSize());
        assertTrue(eval.toString().contains("Resize(256, bilinear), CenterCrop(224)"), eval.toString());
        Pipeline light = Pipeline.train(IMAGENET, Augment.LIGHT, 160);
        assertFalse(light.deterministic());
        assertEquals(160, light.imageSize());
        assertTrue(light.toString().contains("RandomResizedCrop(160, scale=(0.6, 1.0)"), light.toString());

        IllegalArgumentException twoChannels = assertThrows(IllegalArgumentException.class,
                () -> eval.apply(Tensor.zeros(2, 8, 8), null));
        assertTrue(twoChannels.getMessage().contains("2 channels"), twoChannels.getMessage());
        IllegalArgumentException noRng = assertThrows(IllegalArgumentException.class,
                () -> light.apply(Tensor.zeros(3, 8, 8), null));
        assertTrue(noRng.getMessage().contains("generator"), noRng.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Pipeline.eval(IMAGENET, 0));
        assertThrows(IllegalArgumentException.class, () -> eval.apply(Tensor.zeros(8, 8), null));
    }

    /** Whether every output sample is the input's times one factor in [lo, hi] (to float rounding). */
    private static boolean factorInRange(float[] out, float[] in, double lo, double hi) {
        double factor = out[0] / in[0];
        for (int i = 0; i < out.length; i++) {
            if (Math.abs(out[i] - factor * in[i]) > 1e-6) {
                return false;
            }
        }
        return factor >= lo - 1e-6 && factor <= hi + 1e-6;
    }

    private static float[] denormalise(Tensor normalised) {
        float[] v = normalised.toFloatArray();
        int plane = v.length / 3;
        for (int i = 0; i < v.length; i++) {
            v[i] = v[i] * STD.get(i / plane).floatValue() + MEAN.get(i / plane).floatValue();
        }
        return v;
    }

    private static Tensor random(int c, int h, int w, long seed) {
        Random random = new Random(seed);
        float[] data = new float[c * h * w];
        for (int i = 0; i < data.length; i++) {
            data[i] = random.nextFloat();
        }
        return Tensor.of(data, c, h, w);
    }
}
