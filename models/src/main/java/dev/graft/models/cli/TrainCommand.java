package dev.graft.models.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.graft.models.report.EpochRecord;
import dev.graft.models.train.TrainConfig;
import dev.graft.models.train.Trainer;
import dev.graft.models.train.TrainingResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code graft train}: transfer learning on a folder of images. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Adapts a pretrained ResNet to a folder of images (one sub-folder per class).",
                "Strategies: feature-extract (frozen backbone, new head), fine-tune (the --unfreeze stages and a new "
                        + "head), full (everything), scratch (random weights). Writes into --out: best.safetensors "
                        + "(the best model, a bundle for predict/evaluate/infer), last.safetensors (resumable "
                        + "checkpoint), metrics.jsonl and report.html."})
final class TrainCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Mixin
    private TrainOptions options;
    @Option(names = "--out", paramLabel = "DIR", description = "Run folder (default: runs/train-DATE-TIME).")
    private Path out;
    @Option(names = "--resume", description = "Continue the run in --out from its last checkpoint.")
    private boolean resume;
    @Option(names = "--json", description = "End with one JSON object of the results on its own line.")
    private boolean json;

    @Override
    public Integer call() throws Exception {
        Devices.Console console = Devices.start(spec, options.compute());
        PrintStream stdout = console.out();
        if (resume && out == null) {
            throw new ParameterException(spec.commandLine(), "--resume needs --out, the folder of the run to continue");
        }
        Path folder = out != null ? out : Path.of("runs", "train-"
                + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        if (resume && !Files.isRegularFile(folder.resolve("last.safetensors"))) {
            throw new ParameterException(spec.commandLine(), "--resume: " + folder.resolve("last.safetensors")
                    + " does not exist");
        }
        TrainConfig config = options.config(folder);
        var listener = new ConsoleListener(stdout, console.err());
        TrainingResult r = resume ? Trainer.resume(config, listener) : Trainer.run(config, listener);
        printSummary(stdout, r);
        if (json) {
            stdout.println(new ObjectMapper().writeValueAsString(r.toMap()));
        }
        return 0;
    }

    private static void printSummary(PrintStream out, TrainingResult r) {
        out.println();
        out.println(" epoch  train loss  train acc  val loss  val acc        lr      s   img/s  trainable");
        for (EpochRecord e : r.history()) {
            out.printf(Locale.ROOT, "%6d  %10.4f  %8.2f%%  %8.4f  %6.2f%%  %8.2e  %5.1f  %6.1f  %s%n", e.epoch(),
                    e.trainLoss(), 100 * e.trainAccuracy(), e.valLoss(), 100 * e.valAccuracy(), e.lr(), e.seconds(),
                    e.imagesPerSec(), String.join(",", e.trainable()));
        }
        out.printf(Locale.ROOT, "best: epoch %d, %s %.2f%%; %d trainable parameters; %.1f s, %.1f images/s%s%s%n",
                r.bestEpoch(), Double.isNaN(r.bestValAccuracy()) ? "train accuracy" : "val accuracy",
                100 * (Double.isNaN(r.bestValAccuracy()) ? r.history().get(r.bestEpoch() - 1).trainAccuracy()
                        : r.bestValAccuracy()), r.trainableParameters(), r.trainSeconds(), r.imagesPerSec(),
                r.skippedFiles() > 0 ? "; " + r.skippedFiles() + " unreadable files skipped" : "",
                Double.isNaN(r.cacheSpeedup()) ? "" : String.format(Locale.ROOT,
                        "; feature cache: later epochs %.1fx faster than the first", r.cacheSpeedup()));
        out.println("model: " + r.bestModel() + "  checkpoint: " + r.lastCheckpoint());
        out.println("report: " + r.report() + "  metrics: " + r.metrics());
    }
}
