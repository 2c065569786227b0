package dev.graft.models.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.graft.models.train.LrFinder;
import dev.graft.models.train.TrainingListener;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code graft lr-find}: the learning-rate range test for a training run's settings. */
@Command(name = "lr-find", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Learning-rate range test: trains the run's model on a few batches while the learning rate "
                + "grows exponentially, plots loss against learning rate (lr-find.html in --out) and suggests the rate "
                + "where the loss falls fastest. Takes the options of 'graft train'; --lr only sets the ratios of "
                + "discriminative rates."})
final class LrFindCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Mixin
    private TrainOptions options;

    @Option(names = "--start-lr", defaultValue = "1e-7", description = "Default: ${DEFAULT-VALUE}.")
    private double startLr;
    @Option(names = "--end-lr", defaultValue = "10", description = "Default: ${DEFAULT-VALUE}.")
    private double endLr;
    @Option(names = "--steps", defaultValue = "100", description = "Most batches to run (default: ${DEFAULT-VALUE}).")
    private int steps;
    @Option(names = "--out", paramLabel = "DIR", defaultValue = "runs/lr-find", description = "Default: ${DEFAULT-VALUE}.")
    private Path out;
    @Option(names = "--json", description = "End with one JSON object on its own line.")
    private boolean json;

    @Override
    public Integer call() throws Exception {
        Devices.Console console = Devices.start(spec, options.compute());
        PrintStream stdout = console.out();
        PrintStream stderr = console.err();
        var config = options.config(out);
        LrFinder r = LrFinder.run(config, startLr, endLr, steps, new TrainingListener() {
            @Override
            public void warn(String line) {
                stderr.println("warning: " + line);
            }
        });
        stdout.printf(Locale.ROOT, "%d steps from lr %.2e to %.2e; suggested lr %.2e%nplot: %s%n", r.lrs().length,
                r.lrs()[0], r.lrs()[r.lrs().length - 1], r.suggested(), r.plot());
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("suggested_lr", r.suggested());
            m.put("lrs", r.lrs());
            m.put("losses", r.losses());
            m.put("plot", r.plot().toString());
            stdout.println(new ObjectMapper().writeValueAsString(m));
        }
        return 0;
    }
}
