package dev.graft.models.data;

import dev.graft.engine.cpu.Parallel;
import dev.graft.models.Preprocessing;
import dev.graft.models.Preprocessing.Interpolation;
import dev.graft.models.image.ImageTransform;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link DataLoader} over small PNGs whose red channel encodes their dataset index, so every batch can be
 * checked image by image against the indices and labels it claims.
 */
class DataLoaderTest {
    private static final int SIDE = 8;
    /** Identity geometry at 8×8 and mean 0, std 1: the pipeline hands the decoded samples through unchanged. */
    private static final Preprocessing PLAIN =
            new Preprocessing(SIDE, OptionalInt.empty(), Interpolation.BILINEAR, List.of(0.0, 0.0, 0.0),
                    List.of(1.0, 1.0, 1.0));

    @TempDir
    Path root;

    @Test
    void sequentialAndShuffledEpochsVisitEverySampleOnce() throws IOException {
        ImageDataset data = dataset(13, 10);
        for (SamplerKind kind : List.of(SamplerKind.SEQUENTIAL, SamplerKind.SHUFFLE)) {
            try (DataLoader loader = loader(data, kind, 5, false, 2)) {
                assertEquals(5, loader.batchesPerEpoch());
                List<Batch> batches = all(loader.epoch(0));
                assertEquals(List.of(5, 5, 5, 5, 3), batches.stream().map(Batch::size).toList());
                int[] visited = indices(batches);
                assertArrayEquals(IntStream.range(0, 23).toArray(), Arrays.stream(visited).sorted().toArray(),
                        kind + ": every sample once");
                if (kind == SamplerKind.SEQUENTIAL) {
                    assertArrayEquals(IntStream.range(0, 23).toArray(), visited);
                } else {
                    assertFalse(Arrays.equals(IntStream.range(0, 23).toArray(), visited), "shuffled");
                    assertFalse(Arrays.equals(visited, indices(all(loader.epoch(1)))), "epochs differ");
                }
                batches.forEach(b -> assertContentMatches(data, b));
            }
        }
    }

    @Test
    void dropLastLeavesOutTheIncompleteBatch() throws IOException {
        try (DataLoader loader = loader(dataset(13, 10), SamplerKind.SHUFFLE, 5, true, 2)) {
            assertEquals(4, loader.batchesPerEpoch());
            List<Batch> batches = all(loader.epoch(3));
            assertEquals(List.of(5, 5, 5, 5), batches.stream().map(Batch::size).toList());
            assertEquals(20, Arrays.stream(indices(batches)).distinct().count());
        }
    }

    @Test
    void anEpochIsTheSameWithOneOrFourWorkersOnAnyPoolAndWhenRunAgain() throws IOException {
        ImageDataset data = dataset(12, 9);
        Pipeline augmenting = Pipeline.train(PLAIN, Augment.STANDARD, 6);
        List<Batch> one;
        List<Batch> four;
        List<Batch> again;
        List<Batch> nextEpoch;
        try (DataLoader loader = DataLoader.builder(data, augmenting).batchSize(4).sampler(SamplerKind.SHUFFLE)
                .seed(42).workers(1).prefetch(1).build()) {
            one = all(loader.epoch(2));
        }
        Thread.Builder threads = Thread.ofPlatform().daemon().name("test-pool-", 0);
        for (PreparationPool pool : List.of(new PreparationPool(1, Runnable::run),
                new PreparationPool(5, threads::start))) {
            try (DataLoader loader = DataLoader.builder(data, augmenting).batchSize(4).sampler(SamplerKind.SHUFFLE)
                    .seed(42).workers(4).pool(pool).build()) {
                assertSameBatches(one, all(loader.epoch(2)));
            }
        }
        try (DataLoader loader = DataLoader.builder(data, augmenting).batchSize(4).sampler(SamplerKind.SHUFFLE)
                .seed(42).workers(4).prefetch(6).build()) {
            nextEpoch = all(loader.epoch(3));
            four = all(loader.epoch(2));
            again = all(loader.epoch(2));
        }
        assertSameBatches(one, four);
        assertSameBatches(one, again);
        assertNotEquals(Arrays.toString(indices(one)), Arrays.toString(indices(nextEpoch)));
        // The same image at a different position or epoch gets different augmentation.
        int index = indices(one)[0];
        assertFalse(Arrays.equals(imageOf(one, index), imageOf(nextEpoch, index)));
    }

    @Test
    void balancedSamplingDrawsBothClassesOfANinetyTenDatasetAboutEquallyOften() throws IOException {
        ImageDataset data = dataset(18, 2);
        try (DataLoader loader = loader(data, SamplerKind.BALANCED, 7, false, 2)) {
            int[] perClass = new int[2];
            for (int epoch = 0; epoch < 30; epoch++) {
                List<Batch> batches = all(loader.epoch(epoch));
                batches.forEach(b -> assertContentMatches(data, b));
                for (int index : indices(batches)) {
                    perClass[data.samples().get(index).label()]++;
                }
            }
            assertEquals(600, perClass[0] + perClass[1]);
            assertTrue(nearlyUniform(perClass[1], 600), "minority drawn " + perClass[1] + " of 600");
        }
    }

    @Test
    void balancedSamplerIsUniformOverClassesAndTheCheckCatchesProportionalSampling() {
        List<Sample> samples = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            samples.add(new Sample(Path.of(i + ".png"), i < 900 ? 0 : 1));
        }
        ImageDataset data = new ImageDataset(List.of("many", "few"), samples);
        int minority = 0;
        int minorityShuffled = 0;
        for (int epoch = 0; epoch < 10; epoch++) {
            for (int index : Sampler.order(data, SamplerKind.BALANCED, 7, epoch)) {
                minority += index >= 900 ? 1 : 0;
            }
            for (int index : Sampler.order(data, SamplerKind.SHUFFLE, 7, epoch)) {
                minorityShuffled += index >= 900 ? 1 : 0;
            }
        }
        assertTrue(nearlyUniform(minority, 10000), "minority drawn " + minority + " of 10000");
        // About 500 draws with replacement from the 100 minority samples reach all but one or so of them, not
        // just a few over and over.
        long distinct = Arrays.stream(Sampler.order(data, SamplerKind.BALANCED, 7, 0)).filter(i -> i >= 900)
                .distinct().count();
        assertTrue(distinct >= 95, "distinct minority samples in an epoch: " + distinct);
        assertFalse(nearlyUniform(minorityShuffled, 10000), "the check fails sampling ∝ class size");
    }

    @Test
    void aCorruptFileIsWarnedOnceCountedAndSkippedAndTheEpochCompletes() throws IOException {
        ImageDataset data = dataset(6, 5);
        Path corrupt = data.samples().get(2).path();
        Files.writeString(corrupt, "not a png");
        Path truncated = data.samples().get(7).path();
        byte[] png = Files.readAllBytes(truncated);
        Files.write(truncated, Arrays.copyOf(png, png.length / 2));
        List<String> warnings = new ArrayList<>();
        try (DataLoader loader = DataLoader.builder(data, Pipeline.eval(PLAIN, SIDE)).batchSize(4).workers(3)
                .onWarning(warnings::add).build()) {
            for (int epoch = 0; epoch < 3; epoch++) {
                List<Batch> batches = all(loader.epoch(epoch));
                assertEquals(List.of(3, 3, 3), batches.stream().map(Batch::size).toList());
                int[] expected = IntStream.range(0, 11).filter(i -> i != 2 && i != 7).toArray();
                assertArrayEquals(expected, indices(batches));
                batches.forEach(b -> assertContentMatches(data, b));
            }
            assertEquals(2, loader.skippedFiles());
            assertEquals(2, warnings.size(), warnings.toString());
            assertTrue(warnings.get(0).contains(corrupt.toString()) && warnings.get(0).contains("not an image format"),
                    warnings.get(0));
            assertTrue(warnings.get(1).contains(truncated.toString()), warnings.get(1));
            assertEquals(2, loader.skippedReports().size());
            assertTrue(loader.skippedReports().get(0).startsWith(corrupt + ": "), loader.skippedReports().get(0));
        }
    }

    @Test
    void aBatchWhoseFilesAllFailIsLeftOut() throws IOException {
        ImageDataset data = dataset(2, 2);
        Files.writeString(data.samples().get(1).path(), "broken");
        try (DataLoader loader = DataLoader.builder(data, Pipeline.eval(PLAIN, SIDE)).batchSize(1).workers(2)
                .onWarning(w -> { }).build()) {
            Iterator<Batch> epoch = loader.epoch(0);
            assertEquals(List.of(0, 2, 3), Arrays.stream(indices(all(epoch))).boxed().toList());
            assertFalse(epoch.hasNext());
            assertThrows(NoSuchElementException.class, epoch::next);
        }
    }

    @Test
    @Timeout(60)
    void batchesArePreparedOnGraftsPoolAndAnAbandonedIteratorLeavesNothingRunningAfterClose() throws IOException {
        ImageDataset data = dataset(20, 20);
        RecordingStep step = new RecordingStep(false);
        DataLoader loader = DataLoader.builder(data, new Pipeline(PLAIN, SIDE, List.of(step))).batchSize(2)
                .workers(3).prefetch(4).build();
        Iterator<Batch> abandoned = loader.epoch(0);
        abandoned.next();
        Iterator<Batch> second = loader.epoch(1);
        assertContentMatches(data, second.next());
        int n = Parallel.threads();
        for (Thread t : step.threads()) {
            assertTrue(n == 1 ? t == Thread.currentThread() : t.getName().startsWith("graft-cpu-"),
                    "prepared on " + t.getName() + " with " + n + " compute threads");
        }
        assertTrue(step.maxActive() <= Math.max(1, Math.min(3, n - 1)), "at once: " + step.maxActive());
        assertEquals(0, Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("graft-data-")).count(), "a loader has no threads of its own");
        loader.close();
        assertEquals(0, step.active(), "close waited for the batches being prepared");
        IllegalStateException closed = assertThrows(IllegalStateException.class, second::next);
        assertEquals("data loader: closed", closed.getMessage());
        assertThrows(IllegalStateException.class, () -> loader.epoch(2));
        loader.close(); // idempotent
    }

    /** A pool of {@code n} threads that starts a thread per job it is handed, counting them in {@code handed}. */
    private static PreparationPool countingPool(int n, AtomicInteger handed) {
        Thread.Builder threads = Thread.ofPlatform().daemon().name("test-pool-", 0);
        return new PreparationPool(n, task -> {
            handed.incrementAndGet();
            threads.start(task);
        });
    }

    @Test
    @Timeout(60)
    void withFourPoolThreadsTwoWorkersPrepareTwoBatchesAtOnceAndNoMore() throws IOException {
        ImageDataset data = dataset(10, 10);
        RecordingStep step = new RecordingStep(true);
        AtomicInteger handed = new AtomicInteger();
        PreparationPool four = countingPool(4, handed);
        try (DataLoader loader = DataLoader.builder(data, new Pipeline(PLAIN, SIDE, List.of(step))).batchSize(2)
                .workers(2).prefetch(6).pool(four).build()) {
            Iterator<Batch> epoch = loader.epoch(0);
            step.awaitActive(2);
            // Both preparations are held in the step, so no job has returned: the pool had room for a third
            // (N - 1 = 3) and six were asked for, yet only the loader's two went out.
            assertEquals(2, handed.get());
            step.release();
            List<Batch> batches = all(epoch);
            assertArrayEquals(IntStream.range(0, 20).toArray(), indices(batches));
            batches.forEach(b -> assertContentMatches(data, b));
            assertEquals(2, step.maxActive());
            assertEquals(10, handed.get(), "one pool task per batch");
        }
    }

    @Test
    void withOneComputeThreadTheConsumerPreparesEachBatchWhenItAsks() throws IOException {
        ImageDataset data = dataset(3, 2);
        RecordingStep step = new RecordingStep(false);
        PreparationPool one = new PreparationPool(1, task -> {
            throw new AssertionError("one compute thread: nothing may go to the pool");
        });
        try (DataLoader loader = DataLoader.builder(data, new Pipeline(PLAIN, SIDE, List.of(step))).batchSize(2)
                .workers(4).pool(one).build()) {
            Iterator<Batch> epoch = loader.epoch(0);
            assertEquals(0, step.calls(), "nothing prepared ahead");
            assertContentMatches(data, epoch.next());
            assertEquals(2, step.calls(), "the first batch, and only it");
            List<Batch> rest = all(epoch);
            assertEquals(List.of(2, 1), rest.stream().map(Batch::size).toList());
            assertEquals(Set.of(Thread.currentThread()), step.threads());
        }
    }

    @Test
    @Timeout(60)
    void closeWhileBatchesAreQueuedWaitsForThoseBeingPreparedAndRunsNoOther() throws Exception {
        ImageDataset data = dataset(10, 10);
        RecordingStep step = new RecordingStep(true);
        AtomicInteger handed = new AtomicInteger();
        PreparationPool three = countingPool(3, handed);
        DataLoader loader = DataLoader.builder(data, new Pipeline(PLAIN, SIDE, List.of(step))).batchSize(3)
                .workers(2).prefetch(6).pool(three).build();
        Iterator<Batch> epoch = loader.epoch(0);
        step.awaitActive(2); // two batches on their first image, four queued
        Thread closer = Thread.ofPlatform().start(loader::close);
        while (closer.getState() != Thread.State.TIMED_WAITING) {
            Thread.onSpinWait();
        }
        assertEquals(2, step.active(), "close waits while batches are being prepared");
        step.release();
        closer.join();
        assertEquals(0, step.active());
        assertEquals(2, step.calls(), "each stopped at the file it was on");
        assertEquals(2, handed.get(), "the queued batches never went to the pool");
        IllegalStateException e = assertThrows(IllegalStateException.class, epoch::next);
        assertEquals("data loader: closed", e.getMessage());
    }

    @Test
    void hymenopteraValidationLoadsWithoutSkipsAndAsImageTransformGivesIt() throws IOException {
        Path assets = Path.of(System.getProperty("graft.assets", "../../shared/assets")).toAbsolutePath().normalize();
        Path val = assets.resolve("hymenoptera/val");
        if (!Files.isDirectory(val)) {
            String reason = "skipped: asset folder " + val + " is absent";
            System.out.println("DataLoaderTest " + reason);
            assumeTrue(false, reason);
        }
        Preprocessing imagenet = new Preprocessing(224, OptionalInt.of(256), Interpolation.BILINEAR,
                List.of(0.485, 0.456, 0.406), List.of(0.229, 0.224, 0.225));
        ImageDataset data = ImageFolder.scan(val);
        List<String> warnings = new ArrayList<>();
        try (DataLoader loader = DataLoader.builder(data, Pipeline.eval(imagenet, 224)).batchSize(32).workers(2)
                .onWarning(warnings::add).build()) {
            List<Batch> batches = all(loader.epoch(0));
            assertEquals(List.of(), warnings);
            assertArrayEquals(IntStream.range(0, 153).toArray(), indices(batches));
            Batch last = batches.getLast();
            assertArrayEquals(new int[] {25, 3, 224, 224}, last.images().shape());
            int index = last.indices()[24];
            assertArrayEquals(new ImageTransform(imagenet).load(data.samples().get(index).path()).toFloatArray(),
                    last.images().select(0, 24).contiguous().toFloatArray());
        }
    }

    @Test
    void builderRejectsBadSettings() throws IOException {
        DataLoader.Builder b = DataLoader.builder(dataset(1, 1), Pipeline.eval(PLAIN, SIDE));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> b.batchSize(0));
        assertTrue(e.getMessage().contains("batch size") && e.getMessage().contains("0"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> b.workers(0));
        assertThrows(IllegalArgumentException.class, () -> b.prefetch(0));
        assertThrows(IllegalArgumentException.class, () -> b.onWarning(null));
        assertThrows(IllegalArgumentException.class, () -> b.sampler(null));
        try (DataLoader loader = b.build()) {
            assertThrows(IllegalArgumentException.class, () -> loader.epoch(-1));
        }
    }

    /** Within five standard deviations of half the draws; proportional sampling (10%) is far outside. */
    private static boolean nearlyUniform(int minority, int draws) {
        return Math.abs(minority - draws / 2.0) <= 5 * Math.sqrt(draws * 0.25);
    }

    private DataLoader loader(ImageDataset data, SamplerKind kind, int batch, boolean dropLast, int workers) {
        return DataLoader.builder(data, Pipeline.eval(PLAIN, SIDE)).batchSize(batch).sampler(kind).dropLast(dropLast)
                .seed(11).workers(workers).build();
    }

    /** Each batch image's red level is its dataset index + 1, its green level 100 · label. */
    private static void assertContentMatches(ImageDataset data, Batch batch) {
        assertArrayEquals(new int[] {batch.size(), 3, SIDE, SIDE}, batch.images().shape());
        float[] images = batch.images().toFloatArray();
        long[] labels = batch.labels().toLongArray();
        int sample = 3 * SIDE * SIDE;
        for (int i = 0; i < batch.size(); i++) {
            int index = batch.indices()[i];
            assertEquals(index + 1, Math.round(images[i * sample] * 255), "red level of image " + i);
            assertEquals(100 * data.samples().get(index).label(), Math.round(images[i * sample + SIDE * SIDE] * 255));
            assertEquals(data.samples().get(index).label(), labels[i]);
        }
    }

    private static void assertSameBatches(List<Batch> a, List<Batch> b) {
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) {
            assertArrayEquals(a.get(i).indices(), b.get(i).indices(), "batch " + i);
            assertArrayEquals(a.get(i).labels().toLongArray(), b.get(i).labels().toLongArray(), "batch " + i);
            assertArrayEquals(a.get(i).images().toFloatArray(), b.get(i).images().toFloatArray(), "batch " + i);
        }
    }

    private static float[] imageOf(List<Batch> batches, int index) {
        for (Batch b : batches) {
            for (int i = 0; i < b.size(); i++) {
                if (b.indices()[i] == index) {
                    return b.images().select(0, i).contiguous().toFloatArray();
                }
            }
        }
        throw new AssertionError("index " + index + " not in the epoch");
    }

    private static int[] indices(List<Batch> batches) {
        return batches.stream().flatMapToInt(b -> Arrays.stream(b.indices())).toArray();
    }

    private static List<Batch> all(Iterator<Batch> epoch) {
        List<Batch> batches = new ArrayList<>();
        epoch.forEachRemaining(batches::add);
        return batches;
    }

    /** {@code first} images of class "a" then {@code second} of class "b", flat colours naming their index. */
    private ImageDataset dataset(int first, int second) throws IOException {
        int index = 0;
        for (int c = 0; c < 2; c++) {
            Path folder = Files.createDirectories(root.resolve(c == 0 ? "a" : "b"));
            for (int i = 0; i < (c == 0 ? first : second); i++, index++) {
                BufferedImage image = new BufferedImage(SIDE, SIDE, BufferedImage.TYPE_INT_RGB);
                for (int y = 0; y < SIDE; y++) {
                    for (int x = 0; x < SIDE; x++) {
                        image.setRGB(x, y, (index + 1) << 16 | (100 * c) << 8 | (x * 30 + y));
                    }
                }
                ImageIO.write(image, "png", folder.resolve(String.format("%03d.png", i)).toFile());
            }
        }
        ImageDataset data = ImageFolder.scan(root);
        assertEquals(first + second, data.size());
        return data;
    }
}
