package dev.graft.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import dev.graft.engine.DType;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class ConvolutionAlgorithmsTest {

    private static final ConvolutionKey BASE = new ConvolutionKey(64, 64, 56, 56, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1,
            DType.F32, 0, ConvolutionKey.Direction.FORWARD);

    /** BASE with field {@code field} (0..16) changed to another valid value. */
    private static ConvolutionKey varied(int field) {
        ConvolutionKey b = BASE;
        int[] v = {b.n(), b.c(), b.h(), b.w(), b.k(), b.r(), b.s(), b.padH(), b.padW(), b.strideH(), b.strideW(),
                b.dilationH(), b.dilationW(), b.groups()};
        DType dtype = b.dtype();
        int math = b.mathType();
        ConvolutionKey.Direction direction = b.direction();
        switch (field) {
            case 13 -> v[13] = 2;
            case 14 -> dtype = DType.F64;
            case 15 -> math = 1;
            case 16 -> direction = ConvolutionKey.Direction.BACKWARD_FILTER;
            default -> v[field] += 2;
        }
        return new ConvolutionKey(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12],
                v[13], dtype, math, direction);
    }

    @Test
    void changingAnyFieldMakesADifferentKey() {
        Set<ConvolutionKey> keys = new HashSet<>(List.of(BASE));
        for (int field = 0; field < 17; field++) {
            ConvolutionKey other = varied(field);
            assertNotEquals(BASE, other, "field " + field);
            keys.add(other);
        }
        assertEquals(18, keys.size(), "all distinct");
    }

    @Property(tries = 50)
    void distinctShapesNeverShareAChoiceAndEqualOnesHit(@ForAll long seed,
            @ForAll @IntRange(min = 1, max = 200) int count) {
        Random random = new Random(seed);
        List<ConvolutionKey> keys = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            keys.add(randomKey(random));
        }
        ConvolutionAlgorithms cache = new ConvolutionAlgorithms();
        List<ConvolutionKey> searched = new ArrayList<>();
        for (ConvolutionKey key : keys) {
            // A search whose answer identifies the key, so a collision would hand one key another's choice.
            cache.choose(key, k -> {
                searched.add(k);
                return new ConvolutionAlgorithms.Choice(searched.size() - 1, k.hashCode() & 0xffff);
            });
        }
        assertEquals(new HashSet<>(keys).size(), searched.size(), "one search per distinct key");
        assertEquals(searched.size(), cache.size());
        for (ConvolutionKey key : keys) {
            ConvolutionAlgorithms.Choice choice = cache.choose(key, k -> {
                throw new AssertionError("searched again for a cached key " + k);
            });
            assertEquals(key, searched.get(choice.algorithm()), "the choice found is the one searched for this key");
            assertEquals(key.hashCode() & 0xffff, choice.workspaceBytes());
        }
        long largest = searched.stream().mapToLong(k -> k.hashCode() & 0xffff).max().orElse(0);
        assertEquals(largest, cache.largestWorkspace());
    }

    @Test
    void equalKeysBuiltSeparatelyHit() {
        ConvolutionAlgorithms cache = new ConvolutionAlgorithms();
        cache.choose(BASE, k -> new ConvolutionAlgorithms.Choice(1, 4096));
        ConvolutionKey same = new ConvolutionKey(64, 64, 56, 56, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, DType.F32, 0,
                ConvolutionKey.Direction.FORWARD);
        assertEquals(new ConvolutionAlgorithms.Choice(1, 4096), cache.choose(same, k -> {
            throw new AssertionError("miss");
        }));
    }

    @Test
    void invalidKeysAndChoicesAreRejectedWithTheirValues() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ConvolutionKey(8, 6, 7,
                7, 4, 3, 3, 0, 0, 1, 1, 1, 1, 4, DType.F32, 0, ConvolutionKey.Direction.FORWARD));
        assertEquals("convolution key: 4 groups do not divide 6 input and 4 output channels", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new ConvolutionKey(8, 6, 7, 7, 4, 3, 3, -1, 0, 1, 1, 1,
                1, 1, DType.F32, 0, ConvolutionKey.Direction.FORWARD));
        assertThrows(IllegalArgumentException.class, () -> new ConvolutionAlgorithms.Choice(0, -1));
    }

    private static ConvolutionKey randomKey(Random random) {
        int groups = 1 + random.nextInt(2);
        return new ConvolutionKey(1 + random.nextInt(4), groups * (1 + random.nextInt(3)), 1 + random.nextInt(4),
                1 + random.nextInt(4), groups * (1 + random.nextInt(3)), 1 + random.nextInt(3), 1 + random.nextInt(3),
                random.nextInt(2), random.nextInt(2), 1 + random.nextInt(2), 1 + random.nextInt(2),
                1 + random.nextInt(2), 1, groups, random.nextBoolean() ? DType.F32 : DType.F64, random.nextInt(2),
                ConvolutionKey.Direction.values()[random.nextInt(3)]);
    }
}
