package dev.graft.models.image;

import dev.graft.engine.Tensor;

import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;
import java.awt.color.ColorSpace;
import java.awt.color.ICC_ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.TreeSet;

/**
 * Decodes image files with {@code javax.imageio} (JPEG, PNG, BMP, GIF, TIFF from the JDK; WebP, PPM and PGM
 * from TwelveMonkeys' readers, dependencies of graft; and whatever other readers are installed) into
 * float RGB tensors of shape [3, H, W] with values in [0, 1], matching torchvision's
 * {@code ToTensor()(pil_loader(path))}: the stored samples divided by 255 in float32, no colour management.
 *
 * <p>Like Pillow's {@code convert("RGB")}: grey images are replicated into three channels from their raw
 * values (not through Java's linear-grey to sRGB conversion, which would brighten them); palette images take
 * their palette colours; alpha is dropped, not composited (premultiplied colours are divided back first);
 * CMYK becomes RGB by Pillow's formula {@code R = (255 − C)(255 − K)/255}, rounded, likewise G from M and B
 * from Y, with no ICC conversion; embedded ICC profiles and EXIF orientation are ignored; of a multi-image
 * file only the first image is read. Samples of other than 8 bits are scaled by their own maximum (a 16-bit
 * PNG by 1/65535).
 *
 * <p>Reader choice: of the readers installed for a file's format, the JDK's own is tried first, then the
 * others (TwelveMonkeys' JPEG reader, a dependency of graft) in ImageIO's order. TwelveMonkeys registers its
 * JPEG reader ahead of the JDK's, so ImageIO's default would pick it; graft does not, because the JDK's
 * reader is the one proven byte-identical to Pillow below. The other reader decodes what the JDK's rejects,
 * for instance JPEGs whose ICC profile segments are malformed (the JDK fails with "Invalid icc profile";
 * Pillow ignores profiles). CMYK and YCCK (Adobe) JPEGs need no fallback: the JDK's reader delivers their
 * CMYK samples with Adobe's inversion and the YCCK conversion undone, exactly as libjpeg-turbo gives them to
 * Pillow.
 *
 * <p>Measured against Pillow on small test images: PNG, GIF, BMP, TIFF, PPM, PGM and lossless WebP decode
 * byte for byte identically. Lossy WebP does not: TwelveMonkeys' VP8 decoder is its own, not libwebp's; on a
 * 16×12 test image and three hymenoptera photographs re-encoded at quality 80–90, 2 to 4 levels apart on
 * average, up to 41 levels at single samples.
 *
 * <p>JPEG: the JDK decodes with its bundled IJG libjpeg 6b, Pillow 9.4 with libjpeg-turbo 2.1.5; both use the
 * integer (islow) IDCT, the same fixed-point YCbCr conversion and fancy (triangle) chroma upsampling for
 * 4:2:0 and 4:2:2. Measured against Pillow's {@code convert("RGB")} bytes: all 1000 CIFAR-10 test JPEGs
 * (32×32, 4:2:0) and 397 of the 398 hymenoptera photographs (4:4:4, 4:2:0, 4:2:2, progressive, Adobe, ICC
 * tagged, one GIF) decode byte for byte identically. The exception is 4:4:0 (vertically subsampled) chroma:
 * libjpeg-turbo interpolates it, libjpeg 6b replicates rows; on the one such photograph 14% of the samples
 * differ, by at most 15 levels out of 255. Left to its default, the JDK's reader would also colour-convert
 * ICC-tagged JPEGs to sRGB, which changed 11 of those photographs by up to 78 levels; graft turns that off.
 */
public final class ImageDecoder {
    private ImageDecoder() {
    }

    /** The image in {@code file} as a float32 [3, H, W] tensor in [0, 1]. */
    public static Tensor read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "not a readable image file");
        }
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            return convert(decode(in, file.toString()).image(), file.toString());
        }
    }

    /** The image encoded in {@code bytes} (a whole file's contents) as a float32 [3, H, W] tensor in [0, 1]. */
    public static Tensor read(byte[] bytes) throws IOException {
        String source = "image bytes (" + bytes.length + " bytes)";
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
            return convert(decode(in, source).image(), source);
        }
    }

    /**
     * The image read from {@code in} to its end as a float32 [3, H, W] tensor in [0, 1]. The stream is
     * not closed.
     */
    public static Tensor read(InputStream in) throws IOException {
        return read(in.readAllBytes());
    }

    private static Tensor convert(BufferedImage image, String source) throws IOException {
        try {
            return toTensor(image);
        } catch (IllegalArgumentException e) {
            throw new IOException(source + ": " + e.getMessage(), e);
        }
    }

    /** A decoded image and the class of the reader that decoded it. */
    record Decoded(BufferedImage image, String reader) {
    }

    /**
     * The first image in {@code in}, decoded by the first reader that succeeds in {@link #readers} order.
     *
     * @throws IOException naming {@code source} and each reader's reason when none succeeds
     */
    static Decoded decode(ImageInputStream in, String source) throws IOException {
        if (in == null) {
            throw new IOException(source + ": cannot be opened as an image stream");
        }
        List<ImageReader> readers = readers(in);
        if (readers.isEmpty()) {
            throw new IOException(source + ": not an image format javax.imageio can read (readers for: "
                    + String.join(", ", new TreeSet<>(Arrays.asList(ImageIO.getReaderFormatNames()))) + ")");
        }
        List<String> failures = new ArrayList<>();
        try {
            for (ImageReader reader : readers) {
                try {
                    in.seek(0);
                    // Not seek-forward-only, so that the next reader can start from the beginning again.
                    reader.setInput(in, false, true);
                    ImageReadParam param = reader.getDefaultReadParam();
                    param.setDestinationType(embeddedProfileType(reader));
                    return new Decoded(reader.read(0, param), reader.getClass().getName());
                } catch (IOException | RuntimeException e) {
                    // Decoders report malformed data with unchecked exceptions too (CMMException, index errors).
                    failures.add(reader.getClass().getName() + ": " + e);
                }
            }
        } finally {
            readers.forEach(ImageReader::dispose);
        }
        throw new IOException(source + ": no javax.imageio reader could decode it (" + String.join("; ", failures)
                + ")");
    }

    /** The readers installed for the stream's format: the JDK's own first, then the others in ImageIO's order. */
    static List<ImageReader> readers(ImageInputStream in) {
        List<ImageReader> jdk = new ArrayList<>();
        List<ImageReader> others = new ArrayList<>();
        ImageIO.getImageReaders(in).forEachRemaining(r -> (isJdkReader(r) ? jdk : others).add(r));
        jdk.addAll(others);
        return jdk;
    }

    private static boolean isJdkReader(ImageReader reader) {
        return reader.getOriginatingProvider() != null
                && reader.getOriginatingProvider().getClass().getModule() == ImageIO.class.getModule();
    }

    /**
     * The image type tagged with the file's own embedded RGB profile, or null. The JDK's JPEG reader converts
     * an image with an embedded ICC profile to sRGB (through LittleCMS) unless it is asked for this type, and
     * Pillow never converts; requesting it keeps the decoder's own RGB values.
     */
    private static ImageTypeSpecifier embeddedProfileType(ImageReader reader) throws IOException {
        for (Iterator<ImageTypeSpecifier> types = reader.getImageTypes(0); types.hasNext(); ) {
            ImageTypeSpecifier type = types.next();
            ColorSpace cs = type.getColorModel().getColorSpace();
            if (cs instanceof ICC_ColorSpace && !cs.isCS_sRGB() && cs.getType() == ColorSpace.TYPE_RGB
                    && type.getNumBands() == 3) {
                return type;
            }
        }
        return null;
    }

    /**
     * The pixels of a decoded image as a float32 [3, H, W] tensor in [0, 1].
     *
     * @throws IllegalArgumentException for colour spaces other than RGB, grey, CMYK and palette, for non-integer
     *                                  samples, or CMYK samples of other than 8 bits
     */
    public static Tensor toTensor(BufferedImage image) {
        if (image.isAlphaPremultiplied()) {
            // Un-premultiply a copy: the colour values are wanted as they would be stored unassociated.
            WritableRaster copy = image.copyData(null);
            image = new BufferedImage(image.getColorModel().coerceData(copy, false), copy, false, null);
        }
        ColorModel cm = image.getColorModel();
        Raster raster = image.getRaster();
        int h = image.getHeight();
        int w = image.getWidth();
        int plane = h * w;
        float[] out = new float[3 * plane];
        if (cm instanceof IndexColorModel palette) {
            int[] index = raster.getSamples(0, 0, w, h, 0, (int[]) null);
            for (int i = 0; i < plane; i++) {
                out[i] = palette.getRed(index[i]) / 255f;
                out[plane + i] = palette.getGreen(index[i]) / 255f;
                out[2 * plane + i] = palette.getBlue(index[i]) / 255f;
            }
            return Tensor.of(out, 3, h, w);
        }
        int dataType = raster.getDataBuffer().getDataType();
        if (dataType == DataBuffer.TYPE_FLOAT || dataType == DataBuffer.TYPE_DOUBLE) {
            throw new IllegalArgumentException("floating-point samples are not supported; expected 8-bit images");
        }
        int colourType = cm.getColorSpace().getType();
        if (colourType == ColorSpace.TYPE_CMYK && cm.getNumColorComponents() == 4) {
            return cmykToTensor(raster, h, w);
        }
        int[] bands;
        if (colourType == ColorSpace.TYPE_RGB && cm.getNumColorComponents() == 3) {
            bands = new int[] {0, 1, 2};
        } else if (colourType == ColorSpace.TYPE_GRAY && cm.getNumColorComponents() == 1) {
            bands = new int[] {0, 0, 0};
        } else {
            throw new IllegalArgumentException("unsupported colour space (" + colourSpaceName(colourType) + ", "
                    + cm.getNumColorComponents() + " colour components); expected RGB, grey, CMYK or a palette");
        }
        int[] samples = null;
        for (int c = 0; c < 3; c++) {
            // Band order follows the colour model's component order (R, G, B), whatever the byte layout.
            samples = raster.getSamples(0, 0, w, h, bands[c], samples);
            float max = (float) ((1L << raster.getSampleModel().getSampleSize(bands[c])) - 1);
            for (int i = 0; i < plane; i++) {
                // Division, not multiplication by 1/max, so that 8-bit values round exactly as torchvision's.
                out[c * plane + i] = samples[i] / max;
            }
        }
        return Tensor.of(out, 3, h, w);
    }

    /**
     * Pillow's {@code cmyk2rgb}: each of R, G, B is {@code (255 − K) − (C · (255 − K))/255} with Pillow's
     * rounded integer division, from the C, M, Y ink amounts (0 is no ink) as the decoder delivers them.
     */
    private static Tensor cmykToTensor(Raster raster, int h, int w) {
        for (int band = 0; band < 4; band++) {
            if (raster.getSampleModel().getSampleSize(band) != 8) {
                throw new IllegalArgumentException("CMYK with " + raster.getSampleModel().getSampleSize(band)
                        + "-bit samples is not supported; expected 8-bit samples");
            }
        }
        int plane = h * w;
        int[] k = raster.getSamples(0, 0, w, h, 3, (int[]) null);
        int[] ink = null;
        float[] out = new float[3 * plane];
        for (int c = 0; c < 3; c++) {
            ink = raster.getSamples(0, 0, w, h, c, ink);
            for (int i = 0; i < plane; i++) {
                int light = 255 - k[i];
                int product = ink[i] * light + 128;
                out[c * plane + i] = (light - (((product >> 8) + product) >> 8)) / 255f;
            }
        }
        return Tensor.of(out, 3, h, w);
    }

    private static String colourSpaceName(int type) {
        return switch (type) {
            case ColorSpace.TYPE_CMYK -> "CMYK";
            case ColorSpace.TYPE_YCbCr -> "YCbCr";
            case ColorSpace.TYPE_GRAY -> "grey";
            case ColorSpace.TYPE_RGB -> "RGB";
            default -> "colour space type " + type;
        };
    }
}
