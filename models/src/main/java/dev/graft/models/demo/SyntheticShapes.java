package dev.graft.models.demo;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.Shape;
import java.awt.geom.AffineTransform;
import java.awt.geom.Area;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Path2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Procedural image datasets for the demo, drawn with Java2D: one figure per image, at a random position, size,
 * rotation and colour, on a random background with pixel noise. The source task and the target task use
 * disjoint sets of figures, so transfer has to carry general features (edges, corners, curvature), not classes.
 */
public final class SyntheticShapes {
    /** Figures of the source task, on which the demo pretrains. */
    public static final List<String> SOURCE = List.of("circle", "square", "triangle", "cross", "ring", "diamond",
            "bars", "star");
    /** Figures of the target task, none of them in the source task. */
    public static final List<String> TARGET = List.of("crescent", "hexagon", "arrow", "hourglass");

    private SyntheticShapes() {
    }

    /** Writes {@code perClass} PNGs of each figure into {@code dir/<figure>/NNNN.png}. */
    public static void write(Path dir, List<String> figures, int perClass, int size, long seed) throws IOException {
        SplittableRandom random = new SplittableRandom(seed);
        for (String figure : figures) {
            Path folder = Files.createDirectories(dir.resolve(figure));
            for (int i = 0; i < perClass; i++) {
                ImageIO.write(draw(figure, size, random), "png",
                        folder.resolve(String.format(Locale.ROOT, "%04d.png", i)).toFile());
            }
        }
    }

    static BufferedImage draw(String figure, int size, SplittableRandom random) {
        BufferedImage image = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        float hue = (float) random.nextDouble();
        g.setColor(Color.getHSBColor(hue, (float) random.nextDouble(0.1, 0.6), (float) random.nextDouble(0.1, 0.9)));
        g.fillRect(0, 0, size, size);
        // The figure's colour is far from the background's in hue and brightness, so it stays visible.
        g.setColor(Color.getHSBColor(hue + 0.5f, (float) random.nextDouble(0.5, 1), (float) random.nextDouble(0.5, 1)));
        double scale = size * random.nextDouble(0.32, 0.46);
        AffineTransform at = new AffineTransform();
        at.translate(size / 2.0 + random.nextDouble(-0.15, 0.15) * size, size / 2.0 + random.nextDouble(-0.15, 0.15) * size);
        at.rotate(random.nextDouble(0, 2 * Math.PI));
        at.scale(scale, scale);
        g.fill(at.createTransformedShape(unit(figure)));
        g.dispose();
        addNoise(image, random, 18);
        return image;
    }

    /** The figure in a unit square centred on the origin. */
    private static Shape unit(String figure) {
        return switch (figure) {
            case "circle" -> new Ellipse2D.Double(-1, -1, 2, 2);
            case "square" -> new Rectangle2D.Double(-0.85, -0.85, 1.7, 1.7);
            case "triangle" -> polygon(3, 1);
            case "diamond" -> polygon(4, 1);
            case "hexagon" -> polygon(6, 1);
            case "star" -> polygon(10, 1, 0.45);
            case "cross" -> union(new Rectangle2D.Double(-1, -0.3, 2, 0.6), new Rectangle2D.Double(-0.3, -1, 0.6, 2));
            case "ring" -> difference(new Ellipse2D.Double(-1, -1, 2, 2), new Ellipse2D.Double(-0.55, -0.55, 1.1, 1.1));
            case "bars" -> union(new Rectangle2D.Double(-1, -1, 2, 0.5), new Rectangle2D.Double(-1, -0.25, 2, 0.5),
                    new Rectangle2D.Double(-1, 0.5, 2, 0.5));
            case "crescent" -> difference(new Ellipse2D.Double(-1, -1, 2, 2), new Ellipse2D.Double(-0.5, -1.1, 2, 2));
            case "arrow" -> {
                Path2D p = new Path2D.Double();
                p.moveTo(-1, -0.25);
                p.lineTo(0.2, -0.25);
                p.lineTo(0.2, -0.7);
                p.lineTo(1, 0);
                p.lineTo(0.2, 0.7);
                p.lineTo(0.2, 0.25);
                p.lineTo(-1, 0.25);
                p.closePath();
                yield p;
            }
            case "hourglass" -> {
                Path2D p = new Path2D.Double();
                p.moveTo(-0.8, -1);
                p.lineTo(0.8, -1);
                p.lineTo(0.1, 0);
                p.lineTo(0.8, 1);
                p.lineTo(-0.8, 1);
                p.lineTo(-0.1, 0);
                p.closePath();
                yield p;
            }
            default -> throw new IllegalArgumentException("synthetic shapes: unknown figure '" + figure + "'");
        };
    }

    /**
     * A closed polygon of {@code corners} vertices evenly spaced in angle, vertex {@code i} at radius
     * {@code radii[i % radii.length]}: one radius gives a regular polygon, two alternating ones a star.
     */
    private static Shape polygon(int corners, double... radii) {
        Path2D p = new Path2D.Double();
        for (int i = 0; i < corners; i++) {
            double a = 2 * Math.PI * i / corners;
            double r = radii[i % radii.length];
            if (i == 0) {
                p.moveTo(r * Math.cos(a), r * Math.sin(a));
            } else {
                p.lineTo(r * Math.cos(a), r * Math.sin(a));
            }
        }
        p.closePath();
        return p;
    }

    private static Shape union(Shape... shapes) {
        Area a = new Area();
        for (Shape s : shapes) {
            a.add(new Area(s));
        }
        return a;
    }

    private static Shape difference(Shape outer, Shape hole) {
        Area a = new Area(outer);
        a.subtract(new Area(hole));
        return a;
    }

    private static void addNoise(BufferedImage image, SplittableRandom random, int amplitude) {
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                int rgb = image.getRGB(x, y);
                int r = clamp(((rgb >> 16) & 0xff) + random.nextInt(-amplitude, amplitude + 1));
                int gr = clamp(((rgb >> 8) & 0xff) + random.nextInt(-amplitude, amplitude + 1));
                int b = clamp((rgb & 0xff) + random.nextInt(-amplitude, amplitude + 1));
                image.setRGB(x, y, (r << 16) | (gr << 8) | b);
            }
        }
    }

    private static int clamp(int v) {
        return Math.clamp(v, 0, 255);
    }
}
