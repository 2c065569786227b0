package dev.graft.models.cli;

import dev.graft.engine.Backend;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.graft.models.ImageClassifier;
import dev.graft.models.bundle.LoadOptions;
import dev.graft.models.data.ImageDataset;
import dev.graft.models.data.ImageFolder;
import dev.graft.models.report.ClassificationMetrics;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code graft evaluate}: a trained bundle's metrics on a labelled folder. */
@Command(name = "evaluate", mixinStandardHelpOptions = true,
        description = {"Accuracy, top-5 (with 5 or more classes), per-class precision/recall/F1 and the confusion "
                + "matrix of a model bundle on a folder of images (DIR/CLASS/*.jpg, the model's classes)."})
final class EvaluateCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;
    @Mixin
    private ComputeOptions compute;

    @Option(names = "--model", required = true, paramLabel = "BUNDLE", description = "A bundle from 'graft train'.")
    private Path model;
    @Option(names = "--data", required = true, paramLabel = "DIR", description = "Labelled images.")
    private Path data;
    @Option(names = "--json", description = "End with one JSON object of the metrics on its own line.")
    private boolean json;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Backend device = Devices.open(spec, compute, WriterStreams.over(err));
        long start = System.nanoTime();
        ImageClassifier classifier = ImageClassifier.load(model, LoadOptions.defaults(), device);
        ImageDataset dataset = ImageFolder.scan(data);
        ClassificationMetrics metrics = classifier.evaluate(dataset, line -> err.println("warning: " + line));
        out.println(metrics.table());
        out.println();
        out.println(confusion(metrics));
        out.printf(Locale.ROOT, "%d images of %s in %.1f s%n", metrics.count(), data, (System.nanoTime() - start) / 1e9);
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>(metrics.toMap());
            m.put("model", model.toString());
            m.put("data", data.toString());
            out.println(new ObjectMapper().writeValueAsString(m));
        }
        out.flush();
        return 0;
    }

    /** The confusion matrix with true classes as rows. */
    private static String confusion(ClassificationMetrics m) {
        long[][] c = m.confusion();

        StringBuilder sb = new StringBuilder("confusion (rows: true class, columns: predicted)\n");
        int width = 7;
        for (long[] row : c) {
            for (long v : row) {
                width = Math.max(width, Long.toString(v).length() + 1);
            }
        }
        int i = 0;
        for (String name : m.classes()) {
            sb.append(String.format(Locale.ROOT, "%-16.16s", name));
            for (long v : c[i]) {
                sb.append(String.format(Locale.ROOT, "%" + width + "d", v));
            }
            sb.append('\n');
            i++;
        }
        return sb.toString().stripTrailing();
    }
}
