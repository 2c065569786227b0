package dev.graft.models.bundle;

import dev.graft.engine.Tensor;
import dev.graft.engine.safetensors.SafetensorsWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** File types come from the first bytes; a misleading extension changes nothing. */
class CheckpointFormatTest {
    @TempDir
    Path dir;

    @Test
    void pytorchFormatsAreRecognisedUnderAnyName() throws Exception {
        assertEquals(CheckpointFormat.PYTORCH_ZIP, CheckpointFormat.detect(CliFixtures.path(CliFixtures.ZIP)));
        assertEquals(CheckpointFormat.PYTORCH_LEGACY, CheckpointFormat.detect(CliFixtures.path(CliFixtures.LEGACY)));
        Path disguised = Files.copy(CliFixtures.path(CliFixtures.ZIP), dir.resolve("weights.safetensors"));
        assertEquals(CheckpointFormat.PYTORCH_ZIP, CheckpointFormat.detect(disguised));
    }

    @Test
    void safetensorsIsRecognisedUnderAnyName() throws Exception {
        Path file = dir.resolve("weights.pth");
        SafetensorsWriter.write(file, Map.of("w", Tensor.ones(2)), null);
        assertEquals(CheckpointFormat.SAFETENSORS, CheckpointFormat.detect(file));
    }

    @Test
    void otherFilesAreRefusedWithTheirFirstBytes() throws Exception {
        Path npy = Files.copy(CliFixtures.path(CliFixtures.INPUT), dir.resolve("input.pth"));
        WeightsException e = assertThrows(WeightsException.class, () -> CheckpointFormat.detect(npy));
        assertTrue(e.getMessage().startsWith(npy + ": not a weights file graft reads: it starts with bytes 93 4e 55"),
                e.getMessage());

        Path empty = Files.createFile(dir.resolve("empty.th"));
        e = assertThrows(WeightsException.class, () -> CheckpointFormat.detect(empty));
        assertEquals(empty + ": not a weights file: the file is empty", e.getMessage());

        // A length prefix larger than the file is not a safetensors header.
        Path shortHeader = Files.write(dir.resolve("short.safetensors"), new byte[] {100, 0, 0, 0, 0, 0, 0, 0, '{'});
        assertThrows(WeightsException.class, () -> CheckpointFormat.detect(shortHeader));
    }
}
