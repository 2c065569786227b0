package dev.graft.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.kernels.FatbinContainer.Image;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class FatbinContainerTest {
    private static final byte[] FATBIN = KernelImage.fatbin();

    @Test
    void holdsTheFourCubinsAndComputeEightyPtx() {
        List<String> images = FatbinContainer.images(FATBIN).stream().map(Image::describe).sorted().toList();
        assertEquals(List.of("compute_80", "sm_80", "sm_86", "sm_89", "sm_90"), images);
    }

    @Test
    void everyCubinDefinesExactlyThePromisedEntries() {
        Set<String> promised = new TreeSet<>(KernelImage.ENTRIES);
        assertEquals(KernelImage.ENTRIES.size(), promised.size(), "ENTRIES lists a name twice");
        for (Image image : FatbinContainer.images(FATBIN)) {
            if (image.kind() == FatbinContainer.KIND_ELF) {
                assertEquals(promised, CubinSymbols.globalFunctions(image.payload()), image.describe());
            }
        }
    }

    @Test
    void ptxDeclaresExactlyThePromisedEntries() {
        Image ptx = FatbinContainer.images(FATBIN).stream().filter(i -> i.kind() == FatbinContainer.KIND_PTX)
                .findFirst().orElseThrow();
        String text = new String(ptx.payload(), StandardCharsets.US_ASCII);
        assertTrue(text.contains(".target sm_80"), "PTX targets sm_80");
        Set<String> entries = new TreeSet<>();
        Matcher m = Pattern.compile("\\.entry\\s+([A-Za-z0-9_]+)\\s*\\(").matcher(text);
        while (m.find()) {
            entries.add(m.group(1));
        }
        assertEquals(new TreeSet<>(KernelImage.ENTRIES), entries);
    }

    @Test
    void symbolCheckNoticesAMissingEntry() {
        Image cubin = FatbinContainer.images(FATBIN).stream().filter(i -> i.kind() == FatbinContainer.KIND_ELF)
                .findFirst().orElseThrow();
        Set<String> claimed = new HashSet<>(KernelImage.ENTRIES);
        claimed.add("graft_not_built_f32");
        assertNotEquals(claimed, CubinSymbols.globalFunctions(cubin.payload()));
        assertTrue(CubinSymbols.globalFunctions(cubin.payload()).contains(KernelImage.SGD_F32));
    }

    @Test
    void rejectsBytesThatAreNoFatbin() {
        IllegalArgumentException magic = assertThrows(IllegalArgumentException.class,
                () -> FatbinContainer.images("not a fatbin at all".getBytes(StandardCharsets.US_ASCII)));
        assertTrue(magic.getMessage().contains("magic"), magic.getMessage());
        IllegalArgumentException truncated = assertThrows(IllegalArgumentException.class,
                () -> FatbinContainer.images(Arrays.copyOf(FATBIN, FATBIN.length / 2)));
        assertTrue(truncated.getMessage().contains("announces"), truncated.getMessage());
    }

    @Test
    void rejectsACorruptEntryHeader() {
        byte[] corrupt = FATBIN.clone();
        corrupt[16] = 7; // the first entry's kind
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FatbinContainer.images(corrupt));
        assertTrue(e.getMessage().contains("bad entry at 16 (kind 7"), e.getMessage());
    }
}
