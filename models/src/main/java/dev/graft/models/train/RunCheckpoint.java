package dev.graft.models.train;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.graft.engine.Tensor;
import dev.graft.engine.safetensors.SafetensorsFile;
import dev.graft.engine.safetensors.SafetensorsFormatException;
import dev.graft.engine.safetensors.SafetensorsWriter;
import dev.graft.models.report.EpochRecord;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code last} checkpoint of a run, written atomically after every epoch: the network's state dict
 * ({@code model.} keys), the optimizer's state ({@code optim.} keys) and, in the metadata, the epoch and step
 * reached, the best epoch so far, the early-stopping count, the metrics history and the settings fingerprint.
 * Data order, augmentation and dropout masks are functions of the seed and the epoch, so with these a resumed
 * run continues exactly as the uninterrupted one.
 */
record RunCheckpoint(int epochsDone, long step, int bestEpoch, double bestAccuracy, int staleEpochs,
                     List<EpochRecord> history, Map<String, String> fingerprint, Map<String, Tensor> model,
                     Map<String, Tensor> optimizer) {
    static final String FORMAT = "graft-train-checkpoint";
    private static final String MODEL = "model.";
    private static final String OPTIM = "optim.";
    private static final ObjectMapper JSON = new ObjectMapper();

    void write(Path file) throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        model.forEach((k, t) -> tensors.put(MODEL + k, t));
        optimizer.forEach((k, t) -> tensors.put(OPTIM + k, t));
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", FORMAT);
        meta.put("epochs_done", Integer.toString(epochsDone));
        meta.put("step", Long.toString(step));
        meta.put("best_epoch", Integer.toString(bestEpoch));
        meta.put("best_accuracy", Double.toString(bestAccuracy));
        meta.put("stale_epochs", Integer.toString(staleEpochs));
        meta.put("history", JSON.writeValueAsString(history));
        meta.put("fingerprint", JSON.writeValueAsString(fingerprint));
        SafetensorsWriter.write(file, tensors, meta);
    }

    static RunCheckpoint read(Path file) throws IOException {
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            Map<String, String> meta = st.metadata();
            if (!FORMAT.equals(meta.get("format"))) {
                throw new IOException(file + ": not a graft training checkpoint (metadata format is "
                        + meta.get("format") + ", expected " + FORMAT + ")");
            }
            Map<String, Tensor> model = new LinkedHashMap<>();
            Map<String, Tensor> optim = new LinkedHashMap<>();
            for (String name : st.names()) {
                if (name.startsWith(MODEL)) {
                    model.put(name.substring(MODEL.length()), st.tensor(name));
                } else if (name.startsWith(OPTIM)) {
                    optim.put(name.substring(OPTIM.length()), st.tensor(name));
                } else {
                    throw new IOException(file + ": unexpected tensor '" + name + "' in a training checkpoint");
                }
            }
            return new RunCheckpoint(Integer.parseInt(required(file, meta, "epochs_done")),
                    Long.parseLong(required(file, meta, "step")),
                    Integer.parseInt(required(file, meta, "best_epoch")),
                    Double.parseDouble(required(file, meta, "best_accuracy")),
                    Integer.parseInt(required(file, meta, "stale_epochs")),
                    new ArrayList<>(JSON.readValue(required(file, meta, "history"), new TypeReference<List<EpochRecord>>() {
                    })),
                    JSON.readValue(required(file, meta, "fingerprint"), new TypeReference<LinkedHashMap<String, String>>() {
                    }), model, optim);
        } catch (SafetensorsFormatException | NumberFormatException | JsonProcessingException e) {
            throw new IOException(file + ": unreadable training checkpoint: " + e.getMessage(), e);
        }
    }

    private static String required(Path file, Map<String, String> meta, String key) throws IOException {
        String v = meta.get(key);
        if (v == null) {
            throw new IOException(file + ": training checkpoint metadata lacks '" + key + "'");
        }
        return v;
    }
}
