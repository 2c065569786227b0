package dev.graft.models.image;

/** torchvision's {@code crop} and {@code center_crop} on PIL images. */
public final class Crop {
    private Crop() {
    }

    /**
     * The {@code height × width} window whose top-left corner is at ({@code top}, {@code left}); where the
     * window reaches outside the image its samples are 0, as Pillow's {@code crop} fills them.
     */
    public static FloatImage region(FloatImage image, int top, int left, int height, int width) {
        if (height < 1 || width < 1) {
            throw new IllegalArgumentException("crop: sizes must be >= 1, got " + height + "×" + width);
        }
        int h = image.height();
        int w = image.width();
        float[] src = image.data();
        float[] out = new float[image.channels() * height * width];
        // Rows and columns of the window that fall inside the image; the rest stay zero.
        int y0 = Math.max(0, -top);
        int y1 = Math.min(height, h - top);
        int x0 = Math.max(0, -left);
        int x1 = Math.min(width, w - left);
        for (int c = 0; c < image.channels() && x0 < x1; c++) {
            for (int y = y0; y < y1; y++) {
                System.arraycopy(src, (c * h + top + y) * w + left + x0, out, (c * height + y) * width + x0, x1 - x0);
            }
        }
        return new FloatImage(image.channels(), height, width, out);
    }

    /**
     * {@code CenterCrop((height, width))}: offsets {@code round((side − crop) / 2)}, half to even as Python
     * rounds; along a side shorter than the crop, torchvision first pads with zeros, {@code (crop − side) / 2}
     * (floored) before and the rest after.
     */
    public static FloatImage center(FloatImage image, int height, int width) {
        return region(image, offset(image.height(), height), offset(image.width(), width), height, width);
    }

    private static int offset(int side, int crop) {
        return crop > side ? -((crop - side) / 2) : (int) Math.rint((side - crop) / 2.0);
    }
}
