package dev.graft.weights;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The hand-assembled malicious fixtures are refused, by name, before anything could run. */
class AllowListTest {

    @ParameterizedTest
    @CsvSource({
            "evil_os_system_zip.pth, evil/data.pkl, 13, os.system",
            "evil_class_zip.pth, evil/data.pkl, 33, __main__.Exploit",
    })
    void zipPicklesNamingForeignGlobalsAreRefused(String file, String entry, int at, String global) {
        CheckpointFormatException e = assertThrows(CheckpointFormatException.class,
                () -> PytorchCheckpoint.read(file, Fixtures.bytes(file)));
        assertEquals(file + " (" + entry + ") at byte " + at + ": refusing to unpickle global " + global
                + " (not on graft's allow-list)", e.getMessage());
    }

    @ParameterizedTest
    @CsvSource("evil_eval_legacy.pth, 156, builtins.eval")
    void legacyPicklesNamingForeignGlobalsAreRefused(String file, int at, String global) {
        CheckpointFormatException e = assertThrows(CheckpointFormatException.class,
                () -> PytorchCheckpoint.read(file, Fixtures.bytes(file)));
        assertEquals(file + " at byte " + at + ": refusing to unpickle global " + global + " (not on graft's allow-list)",
                e.getMessage());
    }
}
