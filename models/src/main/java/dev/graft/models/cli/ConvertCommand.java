package dev.graft.models.cli;

import dev.graft.models.bundle.BundleMetadata;
import dev.graft.models.bundle.LoadedModel;
import dev.graft.models.bundle.ModelBundle;
import dev.graft.models.bundle.WeightsLoader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;

/** {@code graft convert}: any weights file graft reads → a graft bundle. */
@Command(name = "convert", mixinStandardHelpOptions = true,
        description = {"Converts a checkpoint into a graft bundle.",
                "Reads PyTorch checkpoints (.pth/.th/.pt, zip or legacy format), safetensors files with torchvision's "
                        + "key names, and graft bundles; the type is detected from the contents, not the name. The "
                        + "bundle is one safetensors file with the weights, architecture, classes, preprocessing and "
                        + "provenance."})
final class ConvertCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(names = "--in", required = true, paramLabel = "CKPT", description = "The checkpoint to convert.")
    private Path in;

    @Option(names = "--out", required = true, paramLabel = "BUNDLE",
            description = "The bundle to write (.safetensors); replaced atomically if it exists.")
    private Path out;

    @Mixin
    private ModelOptions model;

    @Option(names = "--class-names", split = ",", paramLabel = "NAME",
            description = "Class names in output order, comma-separated, one per class. Default: the source "
                    + "bundle's, or none.")
    private List<String> classNames;

    @Override
    public Integer call() throws Exception {
        var options = model.loadOptions();
        ModelOptions.checkOutputFolder(spec, out, "--out");
        long start = System.nanoTime();
        // Hashing the source takes a tenth of a second per 100 MB; it runs while the loader waits on the network.
        FutureTask<String> sha256 = new FutureTask<>(() -> ModelBundle.sha256(in));
        Thread.ofPlatform().name("graft-sha256").daemon().start(sha256);
        LoadedModel loaded = WeightsLoader.load(in, options);
        BundleMetadata info = loaded.info();
        List<String> names = classNames != null ? classNames : info.classNames();
        try {
            BundleMetadata.checkClassNames(names, info.numClasses());
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--class-names: " + e.getMessage());
        }
        BundleMetadata metadata = new BundleMetadata(info.arch(), info.numClasses(), names, info.preprocessing(),
                result(sha256), in.getFileName().toString(), ModelBundle.graftVersion());
        ModelBundle.write(out, loaded.network(), metadata);
        double seconds = (System.nanoTime() - start) / 1e9;

        PrintWriter stderr = spec.commandLine().getErr();
        Notes.report(stderr, loaded);
        stderr.flush();
        PrintWriter stdout = spec.commandLine().getOut();
        int tensors = loaded.network().stateDict().size();
        stdout.printf(Locale.ROOT, "converted %s (%s) to %s: %s, %d classes, %d tensors, %,d parameters, %.2f s%n",
                in, loaded.source(), out, info.arch(), info.numClasses(), tensors,
                loaded.network().parameterCount(), seconds);
        stdout.flush();
        return 0;
    }

    private static String result(FutureTask<String> task) throws IOException, InterruptedException {
        try {
            return task.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IllegalStateException("hashing the checkpoint failed", e.getCause());
        }
    }
}
