package dev.graft.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;
import jdk.incubator.vector.FloatVector;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatFactory;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.BenchmarkList;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.format.OutputFormatFactory;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.CommandLineOptionException;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * The one command of the JMH suite (bench/run-jmh.sh): runs {@link FmaPeakBench} with 1 and N JMH threads, then
 * the selected benchmarks with the kernels on N threads ({@code -Dgraft.threads=N}), writes every result to
 * {@code OUT/jmh-DATE.json}, and writes and prints the {@link Summary} as {@code OUT/jmh-DATE.md}.
 *
 * <pre>
 * Suite [-t|--threads N] [--out DIR] [--torch TORCH.json] [JMH options and benchmark regexes...]
 * Suite --summarize JMH.json [--torch TORCH.json]
 * </pre>
 * N defaults to the number of CPUs, DIR to bench/out. JMH's own {@code -t} is taken by {@code --threads}; every
 * other JMH option applies to all runs, e.g. {@code -wi 0 -i 1 -r 100ms -f 1} for a quick check. The peak always
 * runs, whatever the regexes select, because the summary needs it.
 */
public final class Suite {
    private static final String PEAK = "\\.FmaPeakBench\\.";
    private static final String VECTOR_MODULE = "--add-modules=jdk.incubator.vector";

    private Suite() {
    }

    public static void main(String[] args) throws Exception {
        try {
            run(args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(2);
        }
    }

    private static void run(String[] args) throws Exception {
        int threads = Runtime.getRuntime().availableProcessors();
        Path out = Path.of("bench", "out");
        Path torch = null;
        Path summarize = null;
        List<String> jmhArgs = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "-t", "--threads" -> threads = positive(args[i], value(args, ++i));
                case "--out" -> out = Path.of(value(args, ++i));
                case "--torch" -> torch = Path.of(value(args, ++i));
                case "--summarize" -> summarize = Path.of(value(args, ++i));
                default -> jmhArgs.add(args[i]);
            }
        }
        TorchResults torchResults = torch == null ? null : TorchResults.read(torch);
        if (summarize != null) {
            System.out.print(Summary.markdown("graft JMH suite: " + summarize.getFileName(), List.of(),
                    JmhResult.read(summarize), torchResults));
            return;
        }
        CommandLineOptions cli;
        try {
            cli = new CommandLineOptions(jmhArgs.toArray(String[]::new));
        } catch (CommandLineOptionException e) {
            throw new IllegalArgumentException("run-jmh: " + e.getMessage(), e);
        }
        String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd-HHmmss", Locale.ROOT));
        Files.createDirectories(out);
        Path json = out.resolve("jmh-" + stamp + ".json");
        Path md = out.resolve("jmh-" + stamp + ".md");

        List<RunResult> results = new ArrayList<>();
        for (int t : new LinkedHashSet<>(List.of(1, threads))) {
            results.addAll(run(new OptionsBuilder().parent(cli).include(PEAK).exclude("^(?!.*" + PEAK + ")")
                    .threads(t)));
        }
        List<String> jvmArgs = new ArrayList<>(cli.getJvmArgsAppend().orElse(List.of()));
        jvmArgs.addAll(List.of(VECTOR_MODULE, "-Dgraft.threads=" + threads));
        results.addAll(run(new OptionsBuilder().parent(cli).exclude(PEAK).jvmArgsAppend(jvmArgs.toArray(String[]::new))));
        ResultFormatFactory.getInstance(ResultFormatType.JSON, json.toString()).writeOut(results);

        List<String> context = List.of(
                "Machine: " + cpuModel() + ", " + Runtime.getRuntime().availableProcessors() + " CPUs; "
                        + FloatVector.SPECIES_PREFERRED.length() + " F32 lanes per vector",
                "JDK: " + System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"),
                "Kernels on " + threads + " threads (-Dgraft.threads); JMH arguments: "
                        + (jmhArgs.isEmpty() ? "the annotations' defaults" : "`" + String.join(" ", jmhArgs) + "`"),
                "Raw results: " + json.getFileName());
        String summary = Summary.markdown("graft JMH suite, " + stamp, context, JmhResult.read(json), torchResults);
        Files.writeString(md, summary);
        System.out.println();
        System.out.print(summary);
        System.out.println("Summary written to " + md + ", JMH results to " + json);
    }

    /** Runs what {@code options} selects; nothing (not an error) when it selects no benchmark. */
    private static Collection<RunResult> run(ChainedOptionsBuilder builder) throws RunnerException {
        Options options = builder.build();
        List<String> includes = options.getIncludes().isEmpty() ? List.of(".*") : options.getIncludes();
        Set<?> selected = BenchmarkList.defaultList().find(
                OutputFormatFactory.createFormatInstance(System.out, VerboseMode.SILENT), includes,
                options.getExcludes());
        return selected.isEmpty() ? List.of() : new Runner(options).run();
    }

    private static String value(String[] args, int i) {
        if (i >= args.length) {
            throw new IllegalArgumentException("run-jmh: " + args[i - 1] + " needs a value");
        }
        return args[i];
    }

    private static int positive(String option, String value) {
        try {
            int n = Integer.parseInt(value);
            if (n >= 1) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below with the option's name
        }
        throw new IllegalArgumentException("run-jmh: " + option + " must be a whole number >= 1, got '" + value + "'");
    }

    private static String cpuModel() {
        try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
            return lines.filter(l -> l.startsWith("model name")).findFirst()
                    .map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse(System.getProperty("os.arch"));
        } catch (IOException e) {
            return System.getProperty("os.arch");
        }
    }
}
