package dev.graft.models.data;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link StratifiedSplit}: deterministic, stratified, disjoint and covering. */
class StratifiedSplitTest {
    @Property(tries = 300)
    void splitsEachClassByTheRoundedFractionDisjointlyAndCompletely(
            @ForAll @Size(min = 1, max = 5) List<@IntRange(min = 0, max = 40) Integer> counts,
            @ForAll @DoubleRange(min = 0.01, max = 0.99) double fraction, @ForAll long seed) {
        ImageDataset data = dataset(counts, seed);
        StratifiedSplit.Split split = StratifiedSplit.split(data, fraction, seed);
        assertEquals(List.of(), violations(data, split, fraction));
        // Deterministic: the same arguments give the same split.
        assertEquals(split, StratifiedSplit.split(data, fraction, seed));
    }

    @Test
    void checkerCatchesAWrongSplit() {
        ImageDataset data = dataset(List.of(10, 6), 1);
        StratifiedSplit.Split good = StratifiedSplit.split(data, 0.3, 7);
        assertEquals(List.of(), violations(data, good, 0.3));
        // One val sample moved to train: class count off, and coverage still complete.
        List<Sample> train = new ArrayList<>(good.train().samples());
        List<Sample> val = new ArrayList<>(good.val().samples());
        train.add(val.removeFirst());
        StratifiedSplit.Split moved = new StratifiedSplit.Split(new ImageDataset(data.classes(), train),
                new ImageDataset(data.classes(), val));
        assertFalse(violations(data, moved, 0.3).isEmpty());
        // A sample in both parts.
        List<Sample> both = new ArrayList<>(good.train().samples());
        both.add(good.val().samples().getFirst());
        StratifiedSplit.Split overlapping = new StratifiedSplit.Split(new ImageDataset(data.classes(), both),
                good.val());
        assertFalse(violations(data, overlapping, 0.3).isEmpty());
    }

    @Test
    void theSeedChoosesWhichSamplesGoToVal() {
        ImageDataset data = dataset(List.of(50, 50), 3);
        assertNotEquals(StratifiedSplit.split(data, 0.2, 1).val(), StratifiedSplit.split(data, 0.2, 2).val());
    }

    @Test
    void smallClassesKeepOneSampleOnEachSide() {
        ImageDataset data = dataset(List.of(2, 3, 1), 0);
        StratifiedSplit.Split split = StratifiedSplit.split(data, 0.9, 5);
        // round(0.9·2) = 2 and round(0.9·3) = 3 are clamped to count − 1; a single sample follows the rounding.
        assertEquals(List.of(1, 2, 1), counts(split.val()));
        assertEquals(List.of(1, 1, 0), counts(split.train()));
        assertEquals(List.of(1, 1, 0), counts(StratifiedSplit.split(data, 0.01, 5).val()));
    }

    @Test
    void rejectsFractionsOutsideTheOpenUnitInterval() {
        ImageDataset data = dataset(List.of(4), 0);
        for (double f : new double[] {0, 1, -0.2, Double.NaN}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> StratifiedSplit.split(data, f, 0));
            assertTrue(e.getMessage().contains(String.valueOf(f)), e.getMessage());
        }
    }

    /** Everything wrong with a split, as readable lines; empty when it is right. */
    private static List<String> violations(ImageDataset data, StratifiedSplit.Split split, double fraction) {
        List<String> problems = new ArrayList<>();
        Set<Sample> train = new HashSet<>(split.train().samples());
        Set<Sample> val = new HashSet<>(split.val().samples());
        if (train.size() != split.train().size() || val.size() != split.val().size()) {
            problems.add("a part repeats a sample");
        }
        Set<Sample> overlap = new HashSet<>(train);
        overlap.retainAll(val);
        if (!overlap.isEmpty()) {
            problems.add("in both parts: " + overlap);
        }
        Set<Sample> union = new HashSet<>(train);
        union.addAll(val);
        if (!union.equals(new HashSet<>(data.samples()))) {
            problems.add("the parts do not cover the dataset exactly");
        }
        if (!split.train().classes().equals(data.classes()) || !split.val().classes().equals(data.classes())) {
            problems.add("classes changed");
        }
        int[] counts = data.classCounts();
        int[] valCounts = split.val().classCounts();
        for (int c = 0; c < counts.length; c++) {
            int expected = (int) Math.round(fraction * counts[c]);
            if (counts[c] >= 2) {
                expected = Math.clamp(expected, 1, counts[c] - 1);
            }
            if (valCounts[c] != expected) {
                problems.add("class " + c + ": " + valCounts[c] + " of " + counts[c] + " in val, expected " + expected);
            }
        }
        for (ImageDataset part : List.of(split.train(), split.val())) {
            List<Sample> inDataOrder = data.samples().stream().filter(new HashSet<>(part.samples())::contains).toList();
            if (!inDataOrder.equals(part.samples())) {
                problems.add("a part is not in dataset order");
            }
        }
        return problems;
    }

    /** Distinct paths, labels interleaved in a seeded order so that classes are not contiguous. */
    private static ImageDataset dataset(List<Integer> counts, long seed) {
        List<String> classes = new ArrayList<>();
        List<Sample> samples = new ArrayList<>();
        for (int c = 0; c < counts.size(); c++) {
            classes.add("class" + c);
            for (int i = 0; i < counts.get(c); i++) {
                samples.add(new Sample(Path.of("c" + c + "_" + i + ".png"), c));
            }
        }
        java.util.Collections.shuffle(samples, new java.util.Random(seed));
        return new ImageDataset(classes, samples);
    }

    private static List<Integer> counts(ImageDataset data) {
        return java.util.Arrays.stream(data.classCounts()).boxed().toList();
    }
}
