package dev.graft.models.cli;

import dev.graft.engine.DType;
import dev.graft.engine.Tensor;
import dev.graft.models.bundle.BundleMetadata;
import dev.graft.models.bundle.CliFixtures;
import dev.graft.models.bundle.ModelBundle;
import dev.graft.weights.npy.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static dev.graft.models.bundle.CliFixtures.ARCH;
import static dev.graft.models.bundle.CliFixtures.LEGACY;
import static dev.graft.models.bundle.CliFixtures.ZIP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The graft command run in-process: convert, inspect and infer on the CLI fixtures, and its error exits. */
class GraftCommandTest {
    @TempDir
    Path dir;

    /** Exit code and what the command printed. */
    record Run(int code, String out, String err) {
        /** The one line a failed command prints, checked to be alone and free of stack traces. */
        String errorLine() {
            assertEquals(1, err.lines().count(), "exactly one line on stderr, got:\n" + err);
            assertTrue(out.isEmpty(), "nothing on stdout, got:\n" + out);
            return err.strip();
        }
    }

    static Run graft(Object... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = GraftCommand.commandLine()
                .setOut(new PrintWriter(out, true))
                .setErr(new PrintWriter(err, true))
                .execute(Arrays.stream(args).map(String::valueOf).toArray(String[]::new));
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void multiLineMessagesFoldOntoOneLine() {
        assertEquals("a: b; c: d e", GraftCommand.oneLine(" a:\n  b\nc:\r\n d e \n"));
    }

    static String fixture(String name) {
        return CliFixtures.path(name).toString();
    }

    @Test
    void convertInspectInferRoundTrip() throws Exception {
        Path bundle = dir.resolve("c3.safetensors");
        Run convert = graft("convert", "--in", fixture(ZIP), "--out", bundle, "--arch", ARCH,
                "--class-names", "cat,dog,bird");
        assertEquals(0, convert.code(), convert.err());
        assertTrue(convert.out().matches("converted .*cifar_resnet20_c3\\.pth \\(PyTorch zip\\) to .*c3\\.safetensors:"
                + " cifar_resnet20, 3 classes, 116 tensors, 269,267 parameters, \\d+\\.\\d\\d s\\R"), convert.out());

        BundleMetadata metadata = ModelBundle.readMetadata(bundle);
        assertEquals(List.of("cat", "dog", "bird"), metadata.classNames());
        assertEquals(ZIP, metadata.sourceFile());
        assertEquals(ModelBundle.sha256(CliFixtures.path(ZIP)), metadata.sourceSha256());
        assertEquals(ModelBundle.graftVersion(), metadata.graftVersion());

        Run inspect = graft("inspect", bundle);
        assertEquals(0, inspect.code(), inspect.err());
        for (String expected : List.of("format: safetensors (graft bundle)", "tensors (116):",
                "  conv1.weight                      F32    [16, 3, 3, 3]",
                "  layer3.2.bn2.num_batches_tracked  I64    []",
                "parameters: 269,267 in 59 tensors, plus 1,395 elements in 57 BatchNorm buffers",
                "  arch = cifar_resnet20", "  num_classes = 3", "  class_names = [\"cat\",\"dog\",\"bird\"]")) {
            assertTrue(inspect.out().contains(expected), "missing '" + expected + "' in\n" + inspect.out());
        }

        Path logits = dir.resolve("logits.npy");
        Run infer = graft("infer", "--weights", bundle, "--input", fixture(CliFixtures.INPUT), "--output", logits);
        assertEquals(0, infer.code(), infer.err());
        assertTrue(infer.out().startsWith("wrote " + logits + ": logits [2, 3] of cifar_resnet20"), infer.out());
        CliFixtures.assertLogitsClose(CliFixtures.read(CliFixtures.LOGITS), Npy.read(logits));
    }

    @ParameterizedTest
    @ValueSource(strings = {ZIP, LEGACY})
    void inferReadsCheckpointsDirectlyInAnyBatchSize(String checkpoint) throws Exception {
        Path logits = dir.resolve("logits.npy");
        Run run = graft("infer", "--weights", fixture(checkpoint), "--arch", ARCH, "--input",
                fixture(CliFixtures.INPUT), "--output", logits, "--batch", 1);
        assertEquals(0, run.code(), run.err());
        CliFixtures.assertLogitsClose(CliFixtures.read(CliFixtures.LOGITS), Npy.read(logits));
        if (checkpoint.equals(LEGACY)) {
            assertTrue(run.err().contains("note: the file lacks optional keys (19 num_batches_tracked)"), run.err());
        } else {
            assertEquals("", run.err());
        }
        assertFalse(run.out().contains("note:"), run.out());
    }

    @Test
    void inferAcceptsFloat64Images() throws Exception {
        Path input = dir.resolve("x64.npy");
        Npy.write(input, CliFixtures.read(CliFixtures.INPUT).to(DType.F64));
        Path logits = dir.resolve("logits.npy");
        Run run = graft("infer", "--weights", fixture(ZIP), "--arch", ARCH, "--input", input, "--output", logits);
        assertEquals(0, run.code(), run.err());
        Tensor out = Npy.read(logits);
        assertEquals(DType.F32, out.dtype());
        CliFixtures.assertLogitsClose(CliFixtures.read(CliFixtures.LOGITS), out);
    }

    @Test
    void convertWithNewClassCountReplacesTheClassifier() throws Exception {
        Path bundle = dir.resolve("c5.safetensors");
        Run run = graft("convert", "--in", fixture(LEGACY), "--out", bundle, "--arch", ARCH, "--num-classes", 5);
        assertEquals(0, run.code(), run.err());
        assertTrue(run.err().startsWith("note: the file's classifier does not have 5 classes; freshly initialised"
                + " linear.weight, linear.bias"), "notes go to stderr: " + run.err());
        assertFalse(run.out().contains("note:"), run.out());
        assertEquals(5, ModelBundle.readMetadata(bundle).numClasses());
    }

    @Test
    void inspectShowsCheckpointExtras() {
        Run run = graft("inspect", fixture(LEGACY));
        assertEquals(0, run.code(), run.err());
        assertTrue(run.out().contains("format: PyTorch legacy"), run.out());
        assertTrue(run.out().contains("tensors (97):"), run.out());
        assertTrue(run.out().contains("extras (2):\n  epoch = 7\n  best_prec1 = 91.5"), run.out());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "convert", "inspect", "infer"})
    void everyCommandHasHelp(String command) {
        Run run = command.isEmpty() ? graft("--help") : graft(command, "--help");
        assertEquals(0, run.code());
        assertTrue(run.out().startsWith("Usage: graft"), run.out());
    }

    @Test
    void missingFileIsARuntimeError() {
        Run run = graft("infer", "--weights", dir.resolve("none.pth"), "--input", fixture(CliFixtures.INPUT),
                "--output", dir.resolve("y.npy"));
        assertEquals(1, run.code());
        assertEquals("graft infer: no such file: " + dir.resolve("none.pth"), run.errorLine());
    }

    @Test
    void badNpyIsARuntimeError() throws Exception {
        Path bad = Files.writeString(dir.resolve("bad.npy"), "not numpy at all");
        Run run = graft("infer", "--weights", fixture(ZIP), "--arch", ARCH, "--input", bad, "--output",
                dir.resolve("y.npy"));
        assertEquals(1, run.code());
        assertTrue(run.errorLine().startsWith("graft infer: " + bad + ": not a .npy file"), run.err());
    }

    @Test
    void wrongChannelsAndShapesAreNamed() throws Exception {
        Path gray = dir.resolve("gray.npy");
        Npy.write(gray, Tensor.zeros(2, 1, 32, 32));
        Run run = graft("infer", "--weights", fixture(ZIP), "--arch", ARCH, "--input", gray, "--output",
                dir.resolve("y.npy"));
        assertEquals(1, run.code());
        assertEquals("graft infer: " + gray + ": images of shape [2, 1, 32, 32] have 1 channel but cifar_resnet20"
                + " takes 3", run.errorLine());

        Path flat = dir.resolve("flat.npy");
        Npy.write(flat, Tensor.zeros(2, 3072));
        run = graft("infer", "--weights", fixture(ZIP), "--arch", ARCH, "--input", flat, "--output",
                dir.resolve("y.npy"));
        assertEquals(1, run.code());
        assertTrue(run.errorLine().contains("shape [2, 3072] is not 4-D"), run.err());
    }

    @Test
    void corruptFilesAreRuntimeErrors() throws Exception {
        Path bundle = dir.resolve("b.safetensors");
        assertEquals(0, graft("convert", "--in", fixture(ZIP), "--out", bundle, "--arch", ARCH).code());
        byte[] bytes = Files.readAllBytes(bundle);
        Path truncated = Files.write(dir.resolve("t.safetensors"), Arrays.copyOf(bytes, bytes.length - 100));
        Run run = graft("inspect", truncated);
        assertEquals(1, run.code());
        assertTrue(run.errorLine().startsWith("graft inspect: " + truncated + ": "), run.err());

        bytes = Files.readAllBytes(CliFixtures.path(ZIP));
        Path half = Files.write(dir.resolve("half.pth"), Arrays.copyOf(bytes, bytes.length / 2));
        run = graft("infer", "--weights", half, "--arch", ARCH, "--input", fixture(CliFixtures.INPUT), "--output",
                dir.resolve("y.npy"));
        assertEquals(1, run.code());
        assertTrue(run.errorLine().startsWith("graft infer: " + half + ": "), run.err());
    }

    @Test
    void unknownArchitectureIsAUsageError() {
        Run run = graft("convert", "--in", fixture(ZIP), "--out", dir.resolve("b.safetensors"), "--arch", "resnet19");
        assertEquals(2, run.code());
        assertTrue(run.errorLine().startsWith("graft convert: unknown architecture 'resnet19' for --arch; known:"),
                run.err());
    }

    @Test
    void usageErrorsSayWhereHelpIs() {
        Run run = graft("convert", "--in", fixture(ZIP));
        assertEquals(2, run.code());
        assertTrue(run.errorLine().matches("graft convert: Missing required option: '--out=BUNDLE'"
                + " \\(see 'graft convert --help'\\)"), run.err());
        run = graft("convert", "--in", fixture(ZIP), "--out", dir.resolve("b.safetensors"), "--arch", ARCH,
                "--class-names", "a,b");
        assertEquals(2, run.code());
        assertTrue(run.errorLine().contains("--class-names: 2 class names for 3 classes"), run.err());
        assertEquals(2, graft("bogus").code());
        assertEquals(2, graft().code());
        assertEquals(2, graft("infer", "--weights", fixture(ZIP), "--input", "x", "--output", "y", "--batch", 0)
                .code());
    }

    @Test
    void verbosePrintsTheStackTrace() {
        Path none = dir.resolve("none.pth");
        for (Run run : List.of(graft("inspect", "--verbose", none), graft("inspect", none, "--verbose"),
                graft("--verbose", "inspect", none))) {
            assertEquals(1, run.code());
            assertTrue(run.err().startsWith("graft inspect: no such file: "), run.err());
            assertTrue(run.err().contains("\tat "), run.err());
        }
    }

    @Test
    void inferRefusesAClassCountOtherThanTheFiles() throws Exception {
        Path logits = dir.resolve("logits.npy");
        Run run = graft("infer", "--weights", fixture(ZIP), "--arch", ARCH, "--num-classes", 5, "--input",
                fixture(CliFixtures.INPUT), "--output", logits);
        assertEquals(2, run.code());
        assertEquals("graft infer: --num-classes 5: " + fixture(ZIP) + " holds cifar_resnet20 with a classifier of 3"
                + " classes, and infer uses it as it is; drop --num-classes, or give the file a new classifier with"
                + " 'graft convert --num-classes 5' and train it (see 'graft infer --help')", run.errorLine());
        assertFalse(Files.exists(logits), "no random logits written");

        run = graft("infer", "--weights", fixture(ZIP), "--arch", ARCH, "--num-classes", 3, "--input",
                fixture(CliFixtures.INPUT), "--output", logits);
        assertEquals(0, run.code(), run.err());
        CliFixtures.assertLogitsClose(CliFixtures.read(CliFixtures.LOGITS), Npy.read(logits));
    }

    @Test
    void wrongArchitectureSaysWhichOneFitsInAShortLine() {
        Run run = graft("infer", "--weights", fixture(ZIP), "--arch", "cifar_resnet56", "--input",
                fixture(CliFixtures.INPUT), "--output", dir.resolve("y.npy"));
        assertEquals(1, run.code());
        String line = run.errorLine();
        assertTrue(line.contains("missing keys (180): ") && line.contains(" and 175 more"), line);
        assertTrue(line.endsWith("; its keys and shapes fit cifar_resnet20"), line);
        assertTrue(line.length() < 600, line.length() + " characters: " + line);
    }

    @Test
    void unknownCommandsAreNamedWithSuggestions() {
        Run run = graft("foo", "inspect");
        assertEquals(2, run.code());
        assertEquals("graft: unknown command 'foo'; commands: demo, train, evaluate, predict, lr-find, convert, inspect, infer, bench, help (see 'graft --help')",
                run.errorLine());

        run = graft("infre", "--weights", "w.pth");
        assertEquals(2, run.code());
        assertTrue(run.errorLine().matches("graft: unknown command 'infre'; did you mean infer( or \\w+)*\\?"
                + " \\(see 'graft --help'\\)"), run.err());

        run = graft("inspect", "--verbos", "x.pth");
        assertEquals(2, run.code());
        assertTrue(run.errorLine().matches("graft inspect: Unknown option: '--verbos'; did you mean .*--verbose\\? .*"),
                run.err());
    }

    @Test
    void helpCommandPrintsACommandsHelp() {
        Run run = graft("help", "inspect");
        assertEquals(0, run.code(), run.err());
        assertTrue(run.out().startsWith("Usage: graft inspect"), run.out());
        assertEquals(graft("inspect", "--help").out(), run.out());

        run = graft("help", "foo");
        assertEquals(2, run.code());
        assertEquals("graft: unknown command 'foo'; commands: demo, train, evaluate, predict, lr-find, convert, inspect, infer, bench, help (see 'graft --help')",
                run.errorLine());
        run = graft("help", "conver");
        assertEquals(2, run.code());
        assertTrue(run.errorLine().matches("graft: unknown command 'conver'; did you mean convert( or \\w+)*\\?"
                + " \\(see 'graft --help'\\)"), run.err());
    }

    @Test
    void nonFiniteLogitsGetAWarningWithACount() throws Exception {
        Tensor images = CliFixtures.read(CliFixtures.INPUT);
        float[] pixels = images.toFloatArray();
        pixels[pixels.length - 1] = Float.NaN; // the last pixel of the second image
        Path input = dir.resolve("nan.npy");
        Npy.write(input, Tensor.of(pixels, images.shape()));
        Path logits = dir.resolve("logits.npy");
        Run run = graft("infer", "--weights", fixture(ZIP), "--arch", ARCH, "--input", input, "--output", logits);
        assertEquals(0, run.code(), run.err());
        assertEquals("warning: 3 of 6 logits are NaN or infinite, in 1 of 2 images", run.err().strip());
        float[] written = Npy.read(logits).toFloatArray();
        assertTrue(Float.isFinite(written[0]) && Float.isNaN(written[5]), Arrays.toString(written));
    }

    @Test
    void anOutputThatCannotBeReplacedIsAUsageErrorBeforeAnyWork() throws Exception {
        Path folder = Files.createDirectory(dir.resolve("out.safetensors"));
        Run run = graft("convert", "--in", fixture(ZIP), "--out", folder, "--arch", ARCH);
        assertEquals(2, run.code());
        assertEquals("graft convert: --out: " + folder + ": is a directory (see 'graft convert --help')",
                run.errorLine());

        Path link = Files.createSymbolicLink(dir.resolve("y.npy"), dir.resolve("gone/y.npy"));
        run = graft("infer", "--weights", fixture(ZIP), "--arch", ARCH, "--input", fixture(CliFixtures.INPUT),
                "--output", link);
        assertEquals(2, run.code());
        assertTrue(run.errorLine().startsWith("graft infer: --output: " + link + ": is a symbolic link to "),
                run.err());
    }
}
