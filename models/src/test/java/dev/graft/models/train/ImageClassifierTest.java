package dev.graft.models.train;

import dev.graft.models.ImageClassifier;
import dev.graft.models.ImageClassifier.Prediction;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The embedding API on a model trained here: every entry point agrees with the others and with itself. */
class ImageClassifierTest {
    @TempDir
    static Path dir;
    static ImageClassifier model;
    static List<Path> images;

    @BeforeAll
    static void train() throws Exception {
        Path data = TrainData.folders(dir.resolve("data"), 6, 3);
        TrainingResult r = ImageClassifier.fineTune(TrainData.config(data, TrainData.weights(dir), dir.resolve("run"),
                Strategy.of(Strategy.Kind.FEATURE_EXTRACT)).epochs(1).build(), TrainingListener.SILENT);
        model = ImageClassifier.load(r.bestModel());
        try (Stream<Path> files = Files.walk(data.resolve("val"))) {
            images = files.filter(p -> p.toString().endsWith(".png")).sorted().toList();
        }
    }

    @Test
    void topKIsSortedAndAllClassesSumToOne() throws Exception {
        List<Prediction> all = model.classify(images.getFirst(), 4);
        assertEquals(4, all.size());
        double sum = 0;
        for (int i = 0; i < all.size(); i++) {
            sum += all.get(i).probability();
            if (i > 0) {
                assertTrue(all.get(i - 1).probability() >= all.get(i).probability());
            }
            assertEquals(TrainData.CLASSES.get(all.get(i).index()), all.get(i).label());
        }
        assertEquals(1, sum, 1e-5);
        assertEquals(all.subList(0, 2), model.classify(images.getFirst(), 2));
        assertThrows(IllegalArgumentException.class, () -> model.classify(images.getFirst(), 0));
    }

    @Test
    void pathBytesImageAndBatchAgree() throws Exception {
        List<List<Prediction>> batch = model.classifyAll(images, 3);
        for (int i = 0; i < images.size(); i++) {
            Path p = images.get(i);
            assertEquals(batch.get(i), model.classify(p, 3), p.toString());
            assertEquals(batch.get(i), model.classify(Files.readAllBytes(p), 3), p.toString());
            assertEquals(batch.get(i), model.classify(ImageIO.read(p.toFile()), 3), p.toString());
        }
    }

    @Test
    void flipAveragingIsTheMeanOfTheImageAndItsMirror() throws Exception {
        Path original = images.get(1);
        java.awt.image.BufferedImage image = ImageIO.read(original.toFile());
        int w = image.getWidth();
        java.awt.image.BufferedImage mirror = new java.awt.image.BufferedImage(w, image.getHeight(),
                java.awt.image.BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < w; x++) {
                mirror.setRGB(w - 1 - x, y, image.getRGB(x, y));
            }
        }
        int k = TrainData.CLASSES.size();
        List<Prediction> a = model.classify(image, k);
        List<Prediction> b = model.classify(mirror, k);
        List<Prediction> both = model.classifyWithFlip(original, k);
        double sum = 0;
        for (Prediction p : both) {
            double pa = a.stream().filter(q -> q.index() == p.index()).findFirst().orElseThrow().probability();
            double pb = b.stream().filter(q -> q.index() == p.index()).findFirst().orElseThrow().probability();
            assertEquals((pa + pb) / 2, p.probability(), 1e-6, p.label());
            sum += p.probability();
        }
        assertEquals(1, sum, 1e-5);
    }

    @Test
    void embeddingsArePooledFeatures() throws Exception {
        assertEquals(64, model.embeddingSize());
        float[][] rows = model.embedAll(images.subList(0, 3));
        for (int i = 0; i < 3; i++) {
            assertArrayEquals(rows[i], model.embed(ImageIO.read(images.get(i).toFile())), 1e-6f);
        }
        // After ReLU and average pooling no feature is negative.
        for (float v : rows[0]) {
            assertTrue(v >= 0);
        }
    }

    @Test
    void concurrentCallersGetTheSequentialAnswers() throws Exception {
        List<List<Prediction>> sequential = new ArrayList<>();
        for (Path p : images) {
            sequential.add(model.classify(p, 2));
        }
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try {
            List<Future<List<Prediction>>> futures = new ArrayList<>();
            for (int round = 0; round < 3; round++) {
                for (Path p : images) {
                    futures.add(pool.submit(() -> model.classify(p, 2)));
                }
            }
            for (int i = 0; i < futures.size(); i++) {
                assertEquals(sequential.get(i % images.size()), futures.get(i).get());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void evaluateRefusesOtherClasses() throws Exception {
        var other = new dev.graft.models.data.ImageDataset(List.of("a", "b"), List.of());
        var e = assertThrows(IllegalArgumentException.class, () -> model.evaluate(other, w -> { }));
        assertTrue(e.getMessage().contains("[a, b]"), e.getMessage());
    }
}
