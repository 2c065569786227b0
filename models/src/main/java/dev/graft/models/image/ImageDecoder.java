package dev.graft.models.image;

import dev.graft.engine.Tensor;

import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.stream.ImageInputStream;
import java.awt.color.ColorSpace;
import java.awt.color.ICC_ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.TreeSet;

/**
 * Decodes image files with {@code javax.imageio} (JPEG, PNG, BMP, GIF and whatever readers are installed) into
 * float RGB tensors of shape [3, H, W] with values in [0, 1], matching torchvision's
 * {@code ToTensor()(pil_loader(path))}: the stored samples divided by 255 in float32, no colour management.
 *
 * <p>Like Pillow's {@code convert("RGB")}: grey images are replicated into three channels from their raw
 * values (not through Java's linear-grey to sRGB conversion, which would brighten them); palette images take
 * their palette colours; alpha is dropped, not composited (premultiplied colours are divided back first);
 * embedded ICC profiles and EXIF orientation are ignored; of a multi-image file only the first image is read.
 * Samples of other than 8 bits are scaled by their own maximum (a 16-bit PNG by 1/65535). CMYK and YCCK
 * images are rejected.
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
        BufferedImage image = decode(file);
        try {
            return toTensor(image);
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    private static BufferedImage decode(Path file) throws IOException {
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            Iterator<ImageReader> readers = in == null ? Collections.emptyIterator() : ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw new IOException(file + ": not an image format javax.imageio can read (readers for: "
                        + String.join(", ", new TreeSet<>(Arrays.asList(ImageIO.getReaderFormatNames()))) + ")");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                ImageReadParam param = reader.getDefaultReadParam();
                param.setDestinationType(embeddedProfileType(reader));
                return reader.read(0, param);
            } finally {
                reader.dispose();
            }
        }
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
     * @throws IllegalArgumentException for colour spaces other than RGB, grey and palette, or non-integer samples
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
        int[] bands;
        if (colourType == ColorSpace.TYPE_RGB && cm.getNumColorComponents() == 3) {
            bands = new int[] {0, 1, 2};
        } else if (colourType == ColorSpace.TYPE_GRAY && cm.getNumColorComponents() == 1) {
            bands = new int[] {0, 0, 0};
        } else {
            throw new IllegalArgumentException("unsupported colour space (" + colourSpaceName(colourType) + ", "
                    + cm.getNumColorComponents() + " colour components); expected RGB, grey or a palette");
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
