package dev.graft.models.cli;

import dev.graft.engine.Backend;
import dev.graft.engine.DType;
import dev.graft.engine.NoGrad;
import dev.graft.engine.Shape;
import dev.graft.engine.Tensor;
import dev.graft.models.bundle.LoadedModel;
import dev.graft.models.bundle.WeightsLoader;
import dev.graft.engine.nn.Module;
import dev.graft.weights.npy.Npy;
import dev.graft.weights.npy.NpyFormatException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code graft infer}: logits of a batch of prepared images, .npy in and out. */
@Command(name = "infer", mixinStandardHelpOptions = true,
        description = {"Computes the logits of preprocessed images, .npy in and out.",
                "Runs the network in evaluation mode on an [N, C, H, W] float32 or float64 array and writes the "
                        + "logits as an [N, classes] float32 array. The weights may be a graft bundle or any "
                        + "checkpoint 'graft convert' reads."})
final class InferCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;
    @Mixin
    private ComputeOptions compute;

    @Option(names = "--weights", required = true, paramLabel = "FILE", description = "Bundle or checkpoint.")
    private Path weights;

    @Mixin
    private ArchOption model;

    @Option(names = "--num-classes", paramLabel = "N",
            description = "The classes the file's classifier must have: infer uses a file's classifier as it is and"
                    + " never replaces it ('graft convert --num-classes' does). Default: the file's.")
    private Integer numClasses;

    @Option(names = "--input", required = true, paramLabel = "X.npy", description = "Images, [N, C, H, W].")
    private Path input;

    @Option(names = "--output", required = true, paramLabel = "Y.npy", description = "Logits to write, [N, classes].")
    private Path output;

    @Option(names = "--batch", paramLabel = "B", defaultValue = "32",
            description = "Images per forward pass (default: ${DEFAULT-VALUE}).")
    private int batch;

    @Override
    public Integer call() throws Exception {
        var options = model.loadOptions();
        if (batch < 1) {
            throw new ParameterException(spec.commandLine(), "--batch must be at least 1, got " + batch);
        }
        if (numClasses != null && numClasses < 1) {
            throw new ParameterException(spec.commandLine(), "--num-classes must be at least 1, got " + numClasses);
        }
        ModelOptions.checkOutputFolder(spec, output, "--output");
        Backend device = Devices.open(spec, compute, WriterStreams.over(spec.commandLine().getErr()));
        long start = System.nanoTime();
        Tensor images = readImages(input);
        LoadedModel loaded = WeightsLoader.load(weights, options);
        int fileClasses = loaded.info().numClasses();
        if (numClasses != null && numClasses != fileClasses) {
            // A fresh head of another size would give random logits, which infer must never pass off as results.
            throw new ParameterException(spec.commandLine(), "--num-classes " + numClasses + ": " + weights
                    + " holds " + loaded.info().arch() + " with a classifier of " + fileClasses + " classes, and infer"
                    + " uses it as it is; drop --num-classes, or give the file a new classifier with 'graft convert"
                    + " --num-classes " + numClasses + "' and train it");
        }
        int channels = images.size(1);
        if (channels != loaded.inChannels()) {
            throw new IllegalArgumentException(input + ": images of shape " + Shape.format(images.shape()) + " have "
                    + channels + (channels == 1 ? " channel" : " channels") + " but " + loaded.info().arch()
                    + " takes " + loaded.inChannels());
        }
        Tensor logits = logits(loaded.network().to(device), device, images, batch, fileClasses);
        Npy.write(output, logits);
        double seconds = (System.nanoTime() - start) / 1e9;

        PrintWriter err = spec.commandLine().getErr();
        Notes.report(err, loaded);
        Notes.nonFiniteLogits(err, logits.toFloatArray(), fileClasses);
        err.flush();
        PrintWriter out = spec.commandLine().getOut();
        out.printf(Locale.ROOT, "wrote %s: logits %s of %s (%s, %s), %.2f s%n", output, Shape.format(logits.shape()),
                loaded.info().arch(), weights, loaded.source(), seconds);
        out.flush();
        return 0;
    }

    /** The images as F32 [N, C, H, W]; F64 is narrowed, anything else refused. */
    private static Tensor readImages(Path file) throws IOException, NpyFormatException {
        Tensor x = Npy.read(file);
        if (x.dtype() == DType.I64) {
            throw new IllegalArgumentException(file + ": holds integers; expected float32 or float64 images"
                    + " (preprocessed, [N, C, H, W])");
        }
        if (x.dim() != 4) {
            throw new IllegalArgumentException(file + ": shape " + Shape.format(x.shape()) + " is not 4-D; expected"
                    + " preprocessed images [N, C, H, W]");
        }
        return x.to(DType.F32);
    }

    /** Evaluation-mode forward passes of {@code batch} images at a time, without autograd. */
    private static Tensor logits(Module network, Backend device, Tensor images, int batch, int classes) {
        network.eval();
        int n = images.size(0);
        float[] out = new float[n * classes];
        try (var _ = NoGrad.enter()) {
            for (int i = 0; i < n; i += batch) {
                int size = Math.min(batch, n - i);
                float[] chunk = network.forward(images.narrow(0, i, size).to(device)).toFloatArray();
                System.arraycopy(chunk, 0, out, i * classes, size * classes);
            }
        }
        return Tensor.of(out, n, classes);
    }
}
