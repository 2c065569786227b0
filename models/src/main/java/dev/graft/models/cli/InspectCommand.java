package dev.graft.models.cli;

import dev.graft.engine.Shape;
import dev.graft.engine.Tensor;
import dev.graft.engine.safetensors.SafetensorsFile;
import dev.graft.models.bundle.BundleMetadata;
import dev.graft.models.bundle.CheckpointFormat;
import dev.graft.weights.PytorchCheckpoint;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code graft inspect}: what a weights file holds, without building a network. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = {"Lists what a weights file holds.",
                "Prints the format, every tensor (name, dtype, shape), the parameter count, and the metadata "
                        + "(safetensors, graft bundles included) or scalar entries such as epoch (PyTorch .pth/.th/.pt"
                        + " checkpoints)."})
final class InspectCommand implements Callable<Integer> {
    /** BatchNorm's buffer names: state, not parameters, in the counts. */
    private static final List<String> BUFFER_SUFFIXES =
            List.of(".running_mean", ".running_var", ".num_batches_tracked");

    @Spec
    private CommandSpec spec;

    @Parameters(paramLabel = "FILE", description = "The file to inspect.")
    private Path file;

    private record Row(String name, String dtype, int[] shape, long numel) {
    }

    @Override
    public Integer call() throws Exception {
        CheckpointFormat format = CheckpointFormat.detect(file);
        List<Row> rows = new ArrayList<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        String kind;
        if (format == CheckpointFormat.SAFETENSORS) {
            try (SafetensorsFile st = SafetensorsFile.open(file)) {
                for (String name : st.names()) {
                    SafetensorsFile.TensorInfo info = st.info(name);
                    rows.add(new Row(name, info.dtype(), info.shape(), info.numel()));
                }
                metadata.putAll(st.metadata());
                kind = BundleMetadata.isBundle(metadata) ? "safetensors (graft bundle)" : "safetensors";
            }
            if (BundleMetadata.isBundle(metadata)) {
                BundleMetadata.fromMap(file, metadata); // an invalid bundle is reported, not shown as valid
            }
        } else {
            PytorchCheckpoint checkpoint = PytorchCheckpoint.read(file);
            for (var e : checkpoint.tensors().entrySet()) {
                Tensor t = e.getValue();
                rows.add(new Row(e.getKey(), t.dtype().name(), t.shape(), t.numel()));
            }
            checkpoint.extras().forEach((k, v) -> metadata.put(k, String.valueOf(v)));
            // The reader widens F16/BF16 storages on load and does not report what the file stored.
            kind = format + " (dtypes as graft loads them: F16 and BF16 widen to F32)";
        }
        print(spec.commandLine().getOut(), kind, rows, metadata,
                format == CheckpointFormat.SAFETENSORS ? "metadata" : "extras");
        return 0;
    }

    private void print(PrintWriter out, String kind, List<Row> rows, Map<String, String> metadata, String what) {
        out.println("file: " + file);
        out.println("format: " + kind);
        int nameWidth = "name".length();
        for (Row r : rows) {
            nameWidth = Math.max(nameWidth, r.name().length());
        }
        String row = "  %-" + nameWidth + "s  %-5s  %s%n";
        out.println("tensors (" + rows.size() + "):");
        out.printf(Locale.ROOT, row, "name", "dtype", "shape");
        long parameters = 0;
        long buffers = 0;
        int bufferTensors = 0;
        for (Row r : rows) {
            out.printf(Locale.ROOT, row, r.name(), r.dtype(), Shape.format(r.shape()));
            if (BUFFER_SUFFIXES.stream().anyMatch(r.name()::endsWith)) {
                buffers += r.numel();
                bufferTensors++;
            } else {
                parameters += r.numel();
            }
        }
        out.printf(Locale.ROOT, "parameters: %,d in %d tensors, plus %,d elements in %d BatchNorm buffers%n",
                parameters, rows.size() - bufferTensors, buffers, bufferTensors);
        out.println(what + (metadata.isEmpty() ? ": none" : " (" + metadata.size() + "):"));
        metadata.forEach((k, v) -> out.println("  " + k + " = " + v));
        out.flush();
    }
}
