package dev.graft.models.data;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;

/**
 * torchvision's {@code ImageFolder} layout: {@code root/<class>/<image files>}, one folder per class.
 *
 * <p>As torchvision lists it: classes are the folder names sorted as strings (label = position); within a
 * class folder, files are found recursively (following links), ordered by their folder's path and then by
 * name; a file counts when its name ends, ignoring case, in one of {@link #EXTENSIONS}. Unlike torchvision,
 * hidden files and folders (names starting with '.', such as {@code .DS_Store} or macOS's {@code ._x.jpg}) are
 * ignored. GIF files are listed too (the first frame is the image), which torchvision's list leaves out.
 */
public final class ImageFolder {
    /** torchvision's {@code IMG_EXTENSIONS} and GIF. */
    public static final List<String> EXTENSIONS =
            List.of(".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp", ".gif");

    private ImageFolder() {
    }

    /**
     * The samples under {@code root}. Files are not decoded here.
     *
     * @throws NotDirectoryException when {@code root} is not a directory
     * @throws IOException           naming {@code root} when it has no class folders or a class folder holds
     *                               no image files, or when a folder cannot be read
     */
    public static ImageDataset scan(Path root) throws IOException {
        if (!Files.isDirectory(root)) {
            throw new NotDirectoryException(root + " (image folder: expected root/<class>/<image files>)");
        }
        List<String> classes = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(root)) {
            for (Path entry : entries) {
                if (Files.isDirectory(entry) && !hidden(entry)) {
                    classes.add(entry.getFileName().toString());
                }
            }
        }
        if (classes.isEmpty()) {
            throw new IOException("image folder " + root + ": no class folders; expected root/<class>/<image files>");
        }
        classes.sort(Comparator.naturalOrder());
        List<Sample> samples = new ArrayList<>();
        List<String> empty = new ArrayList<>();
        for (int label = 0; label < classes.size(); label++) {
            List<Path> files = images(root.resolve(classes.get(label)));
            if (files.isEmpty()) {
                empty.add(classes.get(label));
            }
            for (Path file : files) {
                samples.add(new Sample(file, label));
            }
        }
        if (!empty.isEmpty()) {
            throw new IOException("image folder " + root + ": no image files in class folder"
                    + (empty.size() > 1 ? "s " : " ") + String.join(", ", empty) + " (looked for "
                    + String.join(" ", EXTENSIONS) + ", any case)");
        }
        return new ImageDataset(classes, samples);
    }

    /** The image files under {@code dir}, in torchvision's order: by folder path, then by name. */
    private static List<Path> images(Path dir) throws IOException {
        List<Path> files = new ArrayList<>();
        Files.walkFileTree(dir, EnumSet.of(FileVisitOption.FOLLOW_LINKS), Integer.MAX_VALUE,
                new SimpleFileVisitor<>() {
                    @Override
                    public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) {
                        return !d.equals(dir) && hidden(d) ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
                    }

                    @Override
                    public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                        if (attrs.isRegularFile() && !hidden(file) && isImageName(file.getFileName().toString())) {
                            files.add(file);
                        }
                        return FileVisitResult.CONTINUE;
                    }
                });
        files.sort(Comparator.comparing((Path p) -> p.getParent().toString())
                .thenComparing(p -> p.getFileName().toString()));
        return files;
    }

    static boolean isImageName(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        return EXTENSIONS.stream().anyMatch(lower::endsWith);
    }

    private static boolean hidden(Path path) {
        return path.getFileName().toString().startsWith(".");
    }
}
