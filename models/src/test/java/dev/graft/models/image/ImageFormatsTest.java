package dev.graft.models.image;

import dev.graft.engine.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link ImageDecoder} against Pillow on the tiny images of {@code fixtures/formats}, written by
 * {@code models/src/test/fixtures/make_format_fixtures.py} with Pillow's {@code convert("RGB")} bytes of each.
 */
class ImageFormatsTest {
    private static final String JDK_JPEG = "com.sun.imageio.plugins.jpeg.JPEGImageReader";
    private static final String TWELVEMONKEYS_JPEG = "com.twelvemonkeys.imageio.plugins.jpeg.JPEGImageReader";

    /** Pillow's decoding of a fixture: its size and 8-bit RGB samples in HWC order. */
    private record Reference(int width, int height, byte[] rgb) {
    }

    private static final Map<String, Reference> PILLOW = references();

    @ParameterizedTest
    @ValueSource(strings = {"baseline.jpg", "progressive.jpg", "cmyk.jpg", "ycck.jpg", "grey.jpg", "grey.png",
            "alpha.png", "palette.gif", "rgb.bmp", "palette.bmp", "broken_icc.jpg", "rgb.tif", "rgb.ppm", "grey.pgm",
            "lossless.webp"})
    void decodesLikePillow(String name) throws IOException {
        Reference expected = PILLOW.get(name);
        assertNotNull(expected, name + " is missing from pillow.txt");
        Tensor t = ImageDecoder.read(bytes(name));
        assertArrayEquals(new int[] {3, expected.height(), expected.width()}, t.shape(), name);
        assertArrayEquals(expected.rgb(), hwcBytes(t), name + ": samples differ from Pillow's");
    }

    /**
     * Not an exactness test: TwelveMonkeys' VP8 decoder is not libwebp's, and this fixture decodes 3.6 levels
     * from Pillow on average (see ImageDecoder). It guards against decoding a different picture (swapped
     * channels or planes would be tens of levels off).
     */
    @Test
    void lossyWebpDecodesCloseToLibwebp() throws IOException {
        Reference expected = PILLOW.get("lossy.webp");
        byte[] got = hwcBytes(ImageDecoder.read(bytes("lossy.webp")));
        assertEquals(expected.rgb().length, got.length);
        double sum = 0;
        for (int i = 0; i < got.length; i++) {
            sum += Math.abs((got[i] & 255) - (expected.rgb()[i] & 255));
        }
        assertTrue(sum / got.length <= 5, "mean |Δ| " + sum / got.length + " levels");
    }

    @Test
    void cmykBecomesRgbByPillowsFormulaNotByColourManagement() throws IOException {
        // The same CMYK samples rendered through an ICC profile would come out far from Pillow's bytes;
        // matching them to the level (decodesLikePillow) pins the formula. Spot-check the formula itself.
        byte[] rgb = hwcBytes(ImageDecoder.read(bytes("cmyk.jpg")));
        // Pillow's CMYK for the first pixel is (36, 219, 88, 54): R = 201 − round(36·201/255) = 173, and so on.
        assertArrayEquals(new byte[] {(byte) 173, 28, (byte) 132}, new byte[] {rgb[0], rgb[1], rgb[2]});
    }

    @Test
    void ordinaryJpegsUseTheJdkReaderAlthoughImageioListsTwelveMonkeysFirst() throws IOException {
        try (ImageInputStream in = stream("baseline.jpg")) {
            ImageReader first = ImageIO.getImageReaders(in).next();
            // Why the choice must be explicit: ImageIO's own first pick is TwelveMonkeys'.
            assertEquals(TWELVEMONKEYS_JPEG, first.getClass().getName());
            first.dispose();
            List<ImageReader> ordered = ImageDecoder.readers(in);
            assertEquals(JDK_JPEG, ordered.get(0).getClass().getName());
            assertTrue(ordered.stream().anyMatch(r -> r.getClass().getName().equals(TWELVEMONKEYS_JPEG)));
            ordered.forEach(ImageReader::dispose);
        }
        for (String name : List.of("baseline.jpg", "progressive.jpg", "cmyk.jpg", "ycck.jpg", "grey.jpg")) {
            try (ImageInputStream in = stream(name)) {
                assertEquals(JDK_JPEG, ImageDecoder.decode(in, name).reader(), name);
            }
        }
    }

    @Test
    void twelveMonkeysDecodesWhatTheJdkRejects() throws IOException {
        try (ImageInputStream in = stream("broken_icc.jpg")) {
            ImageReader jdk = ImageDecoder.readers(in).getFirst();
            jdk.setInput(in, false, true);
            IOException e = assertThrows(IOException.class, () -> jdk.read(0));
            assertTrue(e.getMessage().contains("icc"), e.getMessage());
            jdk.dispose();
            in.seek(0);
            assertEquals(TWELVEMONKEYS_JPEG, ImageDecoder.decode(in, "broken_icc.jpg").reader());
        }
    }

    @Test
    void bytesStreamsAndFilesDecodeAlike() throws IOException {
        Path file = Path.of(resource("progressive.jpg"));
        float[] fromFile = ImageDecoder.read(file).toFloatArray();
        assertArrayEquals(fromFile, ImageDecoder.read(bytes("progressive.jpg")).toFloatArray());
        try (InputStream in = ImageFormatsTest.class.getResourceAsStream("/fixtures/formats/progressive.jpg")) {
            assertArrayEquals(fromFile, ImageDecoder.read(in).toFloatArray());
        }
    }

    @Test
    void undecodableBytesNameEveryReadersReason() throws IOException {
        byte[] jpeg = bytes("baseline.jpg");
        byte[] truncated = java.util.Arrays.copyOf(jpeg, 40); // SOI and part of the header only
        IOException e = assertThrows(IOException.class, () -> ImageDecoder.read(truncated));
        assertTrue(e.getMessage().startsWith("image bytes (40 bytes)"), e.getMessage());
        assertTrue(e.getMessage().contains(JDK_JPEG) && e.getMessage().contains(TWELVEMONKEYS_JPEG), e.getMessage());
        IOException text = assertThrows(IOException.class,
                () -> ImageDecoder.read("hello".getBytes(StandardCharsets.US_ASCII)));
        assertTrue(text.getMessage().contains("not an image format"), text.getMessage());
    }

    private static byte[] hwcBytes(Tensor chw) {
        float[] v = chw.toFloatArray();
        int plane = chw.size(1) * chw.size(2);
        byte[] out = new byte[v.length];
        for (int i = 0; i < plane; i++) {
            for (int c = 0; c < 3; c++) {
                out[3 * i + c] = (byte) Math.round(v[c * plane + i] * 255f);
            }
        }
        return out;
    }

    private static ImageInputStream stream(String name) throws IOException {
        return new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes(name)));
    }

    private static byte[] bytes(String name) throws IOException {
        try (InputStream in = ImageFormatsTest.class.getResourceAsStream("/fixtures/formats/" + name)) {
            assertNotNull(in, "missing /fixtures/formats/" + name + "; run make_format_fixtures.py");
            return in.readAllBytes();
        }
    }

    private static java.net.URI resource(String name) {
        try {
            return ImageFormatsTest.class.getResource("/fixtures/formats/" + name).toURI();
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Map<String, Reference> references() {
        try {
            String text = new String(bytes("pillow.txt"), StandardCharsets.UTF_8);
            return text.lines().filter(l -> !l.startsWith("#")).map(l -> l.split(" "))
                    .collect(Collectors.toMap(f -> f[0], f -> new Reference(Integer.parseInt(f[1]),
                            Integer.parseInt(f[2]), HexFormat.of().parseHex(f[3]))));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
