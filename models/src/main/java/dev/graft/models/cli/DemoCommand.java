package dev.graft.models.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.graft.models.demo.Demo;
import dev.graft.models.train.TrainingResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code graft demo}: the whole transfer-learning story on data graft draws itself. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Offline demonstration: draws a source task (8 figures) and a smaller target task (4 other "
                + "figures), pretrains a CIFAR ResNet-20 on the source, transfers it to the target with "
                + "feature-extract, fine-tune and full, trains the same network from scratch on the target, and prints "
                + "a table of the results. A few minutes on two cores."})
final class DemoCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(names = "--out", defaultValue = "runs/demo", paramLabel = "DIR", description = "Default: ${DEFAULT-VALUE}.")
    private Path out;
    @Option(names = "--seed", defaultValue = "0")
    private long seed;
    @Mixin
    private ComputeOptions compute;
    @Option(names = "--json", description = "End with one JSON object of the results on its own line.")
    private boolean json;

    @Override
    public Integer call() throws Exception {
        Devices.Console console = Devices.start(spec, compute);
        PrintStream stdout = console.out();
        long start = System.nanoTime();
        Demo.Result r = Demo.standard(out, seed, compute.device).run(new ConsoleListener(stdout, console.err()));
        stdout.println();
        stdout.printf(Locale.ROOT, "source task (8 figures), %s from scratch: val accuracy %.1f%% in %.0f s%n",
                "cifar_resnet20", 100 * r.pretraining().bestValAccuracy(), r.pretraining().trainSeconds());
        stdout.println("target task (4 new figures, few images), transferred from the source model:");
        stdout.println("  strategy               final val acc  best val acc  seconds  trainable params");
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Demo.Row row : r.rows()) {
            TrainingResult t = row.result();
            stdout.printf(Locale.ROOT, "  %-21s  %12.1f%%  %11.1f%%  %7.1f  %16d%n", row.strategy(),
                    100 * t.finalValAccuracy(), 100 * t.bestValAccuracy(), t.trainSeconds(), t.trainableParameters());
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("strategy", row.strategy().toString());
            m.putAll(t.toMap());
            rows.add(m);
        }
        stdout.println("reports: " + out.resolve("target-*/report.html") + " (and source-scratch/report.html)");
        stdout.printf(Locale.ROOT, "demo finished in %.0f s%n", (System.nanoTime() - start) / 1e9);
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("pretraining", r.pretraining().toMap());
            m.put("transfer", rows);
            stdout.println(new ObjectMapper().writeValueAsString(m));
        }
        return 0;
    }
}
