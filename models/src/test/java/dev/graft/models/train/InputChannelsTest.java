package dev.graft.models.train;

import dev.graft.engine.Generator;
import dev.graft.engine.Tensor;
import dev.graft.models.Preprocessing;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.OptionalInt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class InputChannelsTest {

    @Test
    void oneChannelSumsTheRgbKernels() {
        Tensor w = Tensor.randn(new Generator(3), 4, 3, 2, 2);
        Tensor grey = InputChannels.adaptKernel(w, 1);
        assertArrayEquals(new int[] {4, 1, 2, 2}, grey.shape());
        for (int o = 0; o < 4; o++) {
            for (int i = 0; i < 4; i++) {
                int y = i / 2;
                int x = i % 2;
                assertEquals(w.get(o, 0, y, x) + w.get(o, 1, y, x) + w.get(o, 2, y, x), grey.get(o, 0, y, x), 1e-6);
            }
        }
        // A grey image through the folded kernel gives what the RGB kernel gives on the same grey in all three.
        Tensor image = Tensor.randn(new Generator(4), 1, 1, 5, 5);
        Tensor rgb = Tensor.cat(1, image, image, image);
        Tensor a = dev.graft.engine.Functional.conv2d(image, grey, null, new int[] {1, 1}, new int[] {0, 0},
                new int[] {1, 1}, 1);
        Tensor b = dev.graft.engine.Functional.conv2d(rgb, w, null, new int[] {1, 1}, new int[] {0, 0},
                new int[] {1, 1}, 1);
        assertArrayEquals(b.toFloatArray(), a.toFloatArray(), 1e-5f);
    }

    @Test
    void moreChannelsRepeatAndRescale() {
        Tensor w = Tensor.randn(new Generator(5), 2, 3, 1, 1);
        Tensor five = InputChannels.adaptKernel(w, 5);
        assertArrayEquals(new int[] {2, 5, 1, 1}, five.shape());
        for (int c = 0; c < 5; c++) {
            assertEquals(w.get(1, c % 3, 0, 0) * 3 / 5, five.get(1, c, 0, 0), 1e-6);
        }
    }

    @Test
    void normalisationFollowsTheChannels() {
        Preprocessing p = new Preprocessing(32, OptionalInt.empty(), Preprocessing.Interpolation.BILINEAR,
                List.of(0.4, 0.5, 0.6), List.of(0.1, 0.2, 0.3));
        Preprocessing grey = InputChannels.adaptPreprocessing(p, 1);
        assertEquals(0.5, grey.mean().getFirst(), 1e-12);
        assertEquals(0.2, grey.std().getFirst(), 1e-12);
        assertEquals(List.of(0.5, 0.5, 0.5), InputChannels.rgbPreprocessing(grey).mean());
        // Normalising RGB with the grey statistics, then taking luma, equals normalising the luma.
        Tensor rgb = Tensor.rand(new Generator(6), 2, 3, 4, 4);
        Tensor luma = rgb.select(1, 0).mul(0.299).add(rgb.select(1, 1).mul(0.587)).add(rgb.select(1, 2).mul(0.114))
                .unsqueeze(1);
        Tensor expected = luma.sub(0.5).div(0.2);
        Tensor got = InputChannels.fromRgb(rgb.sub(0.5).div(0.2), 1);
        assertArrayEquals(expected.toFloatArray(), got.toFloatArray(), 1e-6f);
        var e = assertThrows(IllegalArgumentException.class,
                () -> InputChannels.rgbPreprocessing(InputChannels.adaptPreprocessing(p, 4)));
        assertEquals(true, e.getMessage().contains("4 input channels"), e.getMessage());
    }
}
