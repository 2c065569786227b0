package dev.graft.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@code --json} output of bench/scripts/torch_gemm_conv.py: per result key (as {@link Summary#key}) the
 * PyTorch implementation compared against and its mean seconds per call.
 *
 * @param threads PyTorch's intra-op threads
 */
record TorchResults(String version, int threads, Map<String, Timing> compared) {
    /** One timed PyTorch call. */
    record Timing(String impl, double seconds) {
    }

    static TorchResults read(Path json) throws IOException {
        JsonNode root = new ObjectMapper().readTree(json.toFile());
        Map<String, Timing> compared = new LinkedHashMap<>();
        for (JsonNode r : root.path("results")) {
            if (r.path("compare").asBoolean()) {
                compared.put(r.path("key").asText(), new Timing(r.path("impl").asText(), r.path("seconds").asDouble()));
            }
        }
        return new TorchResults(root.path("torch").asText(), root.path("threads").asInt(), compared);
    }
}
