package dev.graft.models.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.graft.engine.cpu.Parallel;
import dev.graft.models.Architecture;
import dev.graft.models.ModelRegistry;
import dev.graft.models.train.BenchStep;
import dev.graft.models.train.BenchStep.Mode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code graft bench}: the speed of one network's inference or training step on random data, in images/s. */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Times steps of a randomly initialised network on a random batch and prints images/s: the "
                + "median over the timed steps after the warm-up, with the slowest and fastest step.",
                "Modes: infer (eval mode, forward without gradients), train (forward, cross entropy, backward and an "
                        + "SGD step with momentum 0.9, every parameter trainable), frozen (the same with the backbone "
                        + "frozen as by --strategy feature-extract: its BatchNorm layers keep their running statistics "
                        + "and backward reaches the head only)."})
final class BenchCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(names = "--arch", required = true, paramLabel = "NAME", completionCandidates = ArchOption.ArchNames.class,
            description = "Architecture: ${COMPLETION-CANDIDATES}.")
    private String arch;
    @Option(names = "--batch", required = true, paramLabel = "B", description = "Images per step.")
    private int batch;
    @Option(names = "--mode", required = true, paramLabel = "MODE", description = "infer, train or frozen.")
    private String mode;
    @Option(names = "--image-size", defaultValue = "0", paramLabel = "S",
            description = "Height and width of the images. Default: the architecture's input size.")
    private int imageSize;
    @Option(names = "--warmup", defaultValue = "3", paramLabel = "W",
            description = "Untimed steps first (default: ${DEFAULT-VALUE}).")
    private int warmup;
    @Option(names = "--steps", defaultValue = "10", paramLabel = "N",
            description = "Timed steps (default: ${DEFAULT-VALUE}).")
    private int steps;
    @Option(names = "--seed", defaultValue = "0",
            description = "Seed of the weights and the batch (default: ${DEFAULT-VALUE}).")
    private long seed;
    @Mixin
    private ComputeOptions compute;
    @Option(names = "--json", description = "End with one JSON object of the results on its own line.")
    private boolean json;

    @Override
    public Integer call() throws Exception {
        Architecture architecture = checkOptions();
        Mode m = parseMode();
        Devices.Console console = Devices.start(spec, compute);
        PrintStream stdout = console.out();
        int size = imageSize == 0 ? architecture.preprocessing().inputSize() : imageSize;

        BenchStep step = new BenchStep(architecture, m, batch, size, seed, console.device());
        long trained = step.trainedParameters();
        console.device().resetPeakMemory();

        double[] seconds = new double[steps];
        for (int i = 0; i < warmup + steps; i++) {
            long start = System.nanoTime();
            step.run();
            if (i >= warmup) {
                seconds[i - warmup] = (System.nanoTime() - start) / 1e9;
            }
        }
        double[] rates = Arrays.stream(seconds).map(s -> batch / s).sorted().toArray();
        double median = rates.length % 2 == 1 ? rates[rates.length / 2]
                : (rates[rates.length / 2 - 1] + rates[rates.length / 2]) / 2;
        String modeName = m.name().toLowerCase(Locale.ROOT);
        String device = console.device().name();
        stdout.printf(Locale.ROOT, "%s %s on %s, batch %d, %dx%d, %d threads: %.2f images/s median (slowest step %.2f, "
                        + "fastest %.2f) over %d steps after %d warm-up%n", arch, modeName, device, batch, size, size,
                Parallel.threads(), median, rates[0], rates[rates.length - 1], steps, warmup);
        if (json) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("arch", arch);
            r.put("mode", modeName);
            r.put("device", device);
            r.put("batch", batch);
            r.put("threads", Parallel.threads());
            r.put("image_size", size);
            r.put("warmup", warmup);
            r.put("steps", steps);
            r.put("trained_parameters", trained);
            r.put("median_images_per_sec", median);
            r.put("min_images_per_sec", rates[0]);
            r.put("max_images_per_sec", rates[rates.length - 1]);
            r.put("step_seconds", seconds);
            console.device().peakMemoryBytes().ifPresent(bytes -> r.put("peak_device_bytes", bytes));
            stdout.println(new ObjectMapper().writeValueAsString(r));
        }
        return 0;
    }

    private Architecture checkOptions() {
        if (!ModelRegistry.names().contains(arch)) {
            throw new ParameterException(spec.commandLine(), "unknown architecture '" + arch + "' for --arch; known: "
                    + String.join(", ", ModelRegistry.names()));
        }
        if (batch < 1) {
            throw new ParameterException(spec.commandLine(), "--batch must be >= 1, got " + batch);
        }
        if (imageSize < 0) {
            throw new ParameterException(spec.commandLine(), "--image-size must be >= 1, got " + imageSize);
        }
        if (warmup < 0) {
            throw new ParameterException(spec.commandLine(), "--warmup must be >= 0, got " + warmup);
        }
        if (steps < 1) {
            throw new ParameterException(spec.commandLine(), "--steps must be >= 1, got " + steps);
        }
        return ModelRegistry.get(arch);
    }

    private Mode parseMode() {
        try {
            return Choices.parse("--mode", mode, Mode.class);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }
}
