package dev.graft.models.cli;

import dev.graft.engine.Backend;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.graft.models.ImageClassifier;
import dev.graft.models.bundle.LoadOptions;
import dev.graft.models.ImageClassifier.Prediction;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code graft predict}: top-k classes of image files. */
@Command(name = "predict", mixinStandardHelpOptions = true,
        description = "Top-k classes and probabilities of image files under a model bundle.")
final class PredictCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;
    @Mixin
    private ComputeOptions compute;

    @Option(names = "--model", required = true, paramLabel = "BUNDLE", description = "A bundle from 'graft train'.")
    private Path model;
    @Parameters(arity = "1..*", paramLabel = "IMAGE", description = "JPEG, PNG, GIF or BMP files.")
    private List<Path> images;
    @Option(names = "--top", defaultValue = "5", paramLabel = "K", description = "Classes per image (default: ${DEFAULT-VALUE}).")
    private int top;
    @Option(names = "--tta", description = "Average the probabilities of each image and its mirror image.")
    private boolean tta;
    @Option(names = "--json", description = "End with one JSON object of the predictions on its own line.")
    private boolean json;

    @Override
    public Integer call() throws Exception {
        if (top < 1) {
            throw new ParameterException(spec.commandLine(), "--top must be >= 1, got " + top);
        }
        PrintWriter out = spec.commandLine().getOut();
        Backend device = Devices.open(spec, compute, WriterStreams.over(spec.commandLine().getErr()));
        ImageClassifier classifier = ImageClassifier.load(model, LoadOptions.defaults(), device);
        int k = Math.min(top, classifier.classes().size());
        List<List<Prediction>> all;
        if (tta) {
            all = new ArrayList<>();
            for (Path p : images) {
                all.add(classifier.classifyWithFlip(p, k));
            }
        } else {
            all = classifier.classifyAll(images, k);
        }
        List<Map<String, Object>> rows = new ArrayList<>();
        for (int i = 0; i < images.size(); i++) {
            StringBuilder line = new StringBuilder(images.get(i).toString()).append(':');
            List<Map<String, Object>> preds = new ArrayList<>();
            for (Prediction p : all.get(i)) {
                line.append(String.format(Locale.ROOT, "  %s %.4f", p.label(), p.probability()));
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("label", p.label());
                m.put("index", p.index());
                m.put("probability", p.probability());
                preds.add(m);
            }
            out.println(line);
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("file", images.get(i).toString());
            row.put("top", preds);
            rows.add(row);
        }
        if (json) {
            out.println(new ObjectMapper().writeValueAsString(Map.of("predictions", rows)));
        }
        out.flush();
        return 0;
    }
}
