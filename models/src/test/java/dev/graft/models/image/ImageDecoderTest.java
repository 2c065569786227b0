package dev.graft.models.image;

import dev.graft.engine.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Decoding of the image kinds Pillow's {@code convert("RGB")} handles, written with ImageIO. */
class ImageDecoderTest {
    @TempDir
    Path dir;

    @Test
    void rgbSamplesLandInChwOrderWhateverTheByteLayout() throws IOException {
        for (int type : new int[] {BufferedImage.TYPE_3BYTE_BGR, BufferedImage.TYPE_INT_RGB}) {
            BufferedImage image = new BufferedImage(3, 2, type);
            image.setRGB(0, 0, 0x0a141e); // (10, 20, 30) at y 0, x 0
            image.setRGB(2, 1, 0xff8001); // (255, 128, 1) at y 1, x 2
            float[] v = ImageDecoder.read(write(image, "png")).toFloatArray();
            assertEquals(18, v.length);
            assertArrayEquals(new float[] {10 / 255f, 20 / 255f, 30 / 255f}, new float[] {v[0], v[6], v[12]});
            assertArrayEquals(new float[] {1f, 128 / 255f, 1 / 255f}, new float[] {v[5], v[11], v[17]});
        }
    }

    @Test
    void greyIsReplicatedFromRawValuesNotGammaConverted() throws IOException {
        BufferedImage image = new BufferedImage(2, 1, BufferedImage.TYPE_BYTE_GRAY);
        image.getRaster().setSample(0, 0, 0, 100);
        image.getRaster().setSample(1, 0, 0, 200);
        Tensor t = ImageDecoder.read(write(image, "png"));
        assertArrayEquals(new int[] {3, 1, 2}, t.shape());
        // BufferedImage.getRGB would map linear grey 100 to sRGB 168; Pillow keeps 100.
        float[] expected = {100 / 255f, 200 / 255f};
        for (int c = 0; c < 3; c++) {
            assertArrayEquals(expected, t.select(0, c).contiguous().toFloatArray());
        }
    }

    @Test
    void sixteenBitGreyScalesByItsOwnMaximum() throws IOException {
        BufferedImage image = new BufferedImage(2, 1, BufferedImage.TYPE_USHORT_GRAY);
        image.getRaster().setSample(0, 0, 0, 65535);
        image.getRaster().setSample(1, 0, 0, 257);
        assertArrayEquals(new float[] {1f, 257 / 65535f, 1f, 257 / 65535f, 1f, 257 / 65535f},
                ImageDecoder.read(write(image, "png")).toFloatArray());
    }

    @Test
    void paletteImagesTakeTheirPaletteColours() throws IOException {
        byte[] r = {0, (byte) 200};
        byte[] g = {0, 50};
        byte[] b = {0, 7};
        BufferedImage image = new BufferedImage(2, 1, BufferedImage.TYPE_BYTE_INDEXED,
                new IndexColorModel(1, 2, r, g, b));
        image.getRaster().setSample(1, 0, 0, 1);
        for (String format : List.of("png", "gif")) {
            assertArrayEquals(new float[] {0, 200 / 255f, 0, 50 / 255f, 0, 7 / 255f},
                    ImageDecoder.read(write(image, format)).toFloatArray(), format);
        }
    }

    @Test
    void alphaIsDroppedNotComposited() throws IOException {
        BufferedImage image = new BufferedImage(1, 1, BufferedImage.TYPE_4BYTE_ABGR);
        image.getRaster().setPixel(0, 0, new int[] {40, 80, 120, 0}); // fully transparent
        assertArrayEquals(new float[] {40 / 255f, 80 / 255f, 120 / 255f},
                ImageDecoder.read(write(image, "png")).toFloatArray());
    }

    @Test
    void premultipliedAlphaIsUndone() {
        BufferedImage image = new BufferedImage(1, 1, BufferedImage.TYPE_4BYTE_ABGR_PRE);
        image.setRGB(0, 0, 0x80ff4000); // alpha 128, stored premultiplied as (128, 32, 0)
        float[] v = ImageDecoder.toTensor(image).toFloatArray();
        assertEquals(1f, v[0], 1 / 255f);
        assertEquals(64 / 255f, v[1], 1 / 255f);
        assertEquals(0f, v[2]);
        assertTrue(image.isAlphaPremultiplied(), "the caller's image is left as it was");
    }

    @Test
    void jpegKeepsChannelOrder() throws IOException {
        BufferedImage image = new BufferedImage(16, 8, BufferedImage.TYPE_3BYTE_BGR);
        for (int x = 0; x < 16; x++) {
            for (int y = 0; y < 8; y++) {
                image.setRGB(x, y, 200 << 16 | 100 << 8 | 50);
            }
        }
        float[] v = ImageDecoder.read(write(image, "jpg")).toFloatArray();
        assertEquals(3 * 8 * 16, v.length);
        // Lossy, but a flat colour survives within a few levels.
        for (int i = 0; i < v.length; i++) {
            assertEquals(new int[] {200, 100, 50}[i / 128] / 255f, v[i], 3 / 255f, "sample " + i);
        }
    }

    @Test
    void iccTaggedJpegsKeepTheDecoderOutputAsPillowDoes() throws IOException {
        Path assets = Path.of(System.getProperty("graft.assets", "../../shared/assets")).toAbsolutePath().normalize();
        if (!Files.isDirectory(assets.resolve("hymenoptera/val"))) {
            String reason = "skipped: asset folder " + assets.resolve("hymenoptera/val") + " is absent";
            System.out.println("ImageDecoderTest " + reason);
            assumeTrue(false, reason);
        }
        List<String> lines;
        try (InputStream in = ImageDecoderTest.class.getResourceAsStream("/fixtures/image/decoded.txt")) {
            assertNotNull(in, "missing /fixtures/image/decoded.txt; run make_image_fixtures.py");
            lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines()
                    .filter(l -> !l.startsWith("#"))
                    .toList();
        }
        assertFalse(lines.isEmpty());
        for (String line : lines) {
            String[] f = line.split(" ");
            Tensor t = ImageDecoder.read(assets.resolve(f[0]));
            assertArrayEquals(new int[] {3, Integer.parseInt(f[2]), Integer.parseInt(f[1])}, t.shape(), f[0]);
            // The JDK's default would convert these to sRGB through their profiles, by up to 78 levels.
            assertEquals(Long.parseLong(f[3], 16), PilBytes.crc32(t), f[0] + " decodes unlike Pillow");
        }
    }

    @Test
    void unreadableFilesFailWithTheirName() throws IOException {
        Path text = Files.writeString(dir.resolve("notes.jpg"), "not an image");
        IOException e = assertThrows(IOException.class, () -> ImageDecoder.read(text));
        assertTrue(e.getMessage().contains("notes.jpg") && e.getMessage().contains("javax.imageio"), e.getMessage());
        assertThrows(IOException.class, () -> ImageDecoder.read(dir.resolve("missing.png")));
    }

    private Path write(BufferedImage image, String format) throws IOException {
        Path file = Files.createTempFile(dir, "image", "." + format);
        if (!ImageIO.write(image, format, file.toFile())) {
            throw new IllegalStateException("no ImageIO writer for " + format);
        }
        return file;
    }
}
