package dev.graft.models.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.graft.engine.Generator;
import dev.graft.engine.cpu.Parallel;
import dev.graft.models.resnet.CifarResNet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;
import java.util.List;
import java.util.stream.StreamSupport;

import static dev.graft.models.cli.GraftCommandTest.graft;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** graft bench through the command line: what its JSON reports, and its usage errors. No timings are asserted. */
class BenchCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @ParameterizedTest
    @ValueSource(strings = {"infer", "train", "frozen"})
    void reportsEveryTimedStepAndItsRates(String mode) throws Exception {
        var run = graft("bench", "--arch", "cifar_resnet20", "--batch", 2, "--mode", mode, "--warmup", 1,
                "--steps", 3, "--json");
        assertEquals(0, run.code(), run.err());
        List<String> lines = run.out().strip().lines().toList();
        assertEquals(2, lines.size(), run.out());
        assertTrue(lines.getFirst().startsWith("cifar_resnet20 " + mode + " on cpu, batch 2, 32x32, "), run.out());
        JsonNode r = JSON.readTree(lines.getLast());
        assertEquals(List.of("arch", "mode", "device", "batch", "threads", "image_size", "warmup", "steps",
                "trained_parameters", "median_images_per_sec", "min_images_per_sec", "max_images_per_sec", "step_seconds"),
                StreamSupport.stream(((Iterable<String>) r::fieldNames).spliterator(), false).toList());
        assertEquals("cifar_resnet20", r.get("arch").asText());
        assertEquals(mode, r.get("mode").asText());
        assertEquals("cpu", r.get("device").asText());
        assertEquals(2, r.get("batch").asInt());
        assertEquals(Parallel.threads(), r.get("threads").asInt());
        assertEquals(32, r.get("image_size").asInt());
        assertEquals(1, r.get("warmup").asInt());
        assertEquals(3, r.get("steps").asInt());
        // frozen trains the 64-feature, 10-class Linear head alone; train the whole network.
        long all = CifarResNet.of(20, 10, 3, new Generator(0)).parameterCount();
        assertEquals(switch (mode) {
            case "infer" -> 0L;
            case "frozen" -> 64L * 10 + 10;
            default -> all;
        }, r.get("trained_parameters").asLong());

        // The rates are those of the listed step times: min, median and max of batch / seconds.
        double[] seconds = StreamSupport.stream(r.get("step_seconds").spliterator(), false)
                .mapToDouble(JsonNode::asDouble).toArray();
        assertEquals(3, seconds.length);
        assertTrue(Arrays.stream(seconds).allMatch(s -> s > 0 && Double.isFinite(s)), r.toString());
        double[] rates = Arrays.stream(seconds).map(s -> 2 / s).sorted().toArray();
        assertEquals(rates[0], r.get("min_images_per_sec").asDouble(), 1e-9 * rates[0]);
        assertEquals(rates[1], r.get("median_images_per_sec").asDouble(), 1e-9 * rates[1]);
        assertEquals(rates[2], r.get("max_images_per_sec").asDouble(), 1e-9 * rates[2]);
    }

    @Test
    void medianOfAnEvenCountIsTheMeanOfTheMiddleTwoAndImageSizeIsHonoured() throws Exception {
        var run = graft("bench", "--arch", "cifar_resnet20", "--batch", 1, "--mode", "infer", "--warmup", 0,
                "--steps", 4, "--image-size", 16, "--json");
        assertEquals(0, run.code(), run.err());
        JsonNode r = JSON.readTree(run.out().strip().lines().toList().getLast());
        assertEquals(16, r.get("image_size").asInt());
        double[] rates = StreamSupport.stream(r.get("step_seconds").spliterator(), false)
                .mapToDouble(s -> 1 / s.asDouble()).sorted().toArray();
        assertEquals((rates[1] + rates[2]) / 2, r.get("median_images_per_sec").asDouble(), 1e-9 * rates[3]);
    }

    @Test
    void usageErrorsNameTheOption() {
        assertUsageError("--mode: 'fast' is not one of [infer, train, frozen]",
                "--arch", "cifar_resnet20", "--batch", 2, "--mode", "fast");
        assertUsageError("unknown architecture 'resnet19' for --arch; known: resnet18,",
                "--arch", "resnet19", "--batch", 2, "--mode", "infer");
        assertUsageError("--batch must be >= 1, got 0", "--arch", "cifar_resnet20", "--batch", 0, "--mode", "infer");
        assertUsageError("--steps must be >= 1, got 0",
                "--arch", "cifar_resnet20", "--batch", 2, "--mode", "infer", "--steps", 0);
        assertUsageError("--warmup must be >= 0, got -1",
                "--arch", "cifar_resnet20", "--batch", 2, "--mode", "infer", "--warmup", -1);
        assertUsageError("--image-size must be >= 1, got -3",
                "--arch", "cifar_resnet20", "--batch", 2, "--mode", "infer", "--image-size", -3);
        assertUsageError("--threads must be >= 1, got -2",
                "--arch", "cifar_resnet20", "--batch", 2, "--mode", "infer", "--threads", -2);
        assertUsageError("--device cuda", "--arch", "cifar_resnet20", "--batch", 2, "--mode", "infer",
                "--device", "cuda");
        assertUsageError("Missing required option: '--mode=MODE'", "--arch", "cifar_resnet20", "--batch", 2);
    }

    private static void assertUsageError(String expected, Object... options) {
        Object[] args = new Object[options.length + 1];
        args[0] = "bench";
        System.arraycopy(options, 0, args, 1, options.length);
        var run = graft(args);
        assertEquals(2, run.code(), run.err());
        String line = run.errorLine();
        assertTrue(line.startsWith("graft bench: ") && line.contains(expected) && line.endsWith(
                "(see 'graft bench --help')"), line);
    }
}
