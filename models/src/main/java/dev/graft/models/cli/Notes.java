package dev.graft.models.cli;

import dev.graft.models.bundle.LoadedModel;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.StringJoiner;
import java.util.stream.Collectors;

/** What a command tells the user, on stderr, about a result it produced with adjustments or doubts. */
final class Notes {
    private Notes() {
    }

    /** Notes on a load that succeeded with adjustments. */
    static void report(PrintWriter out, LoadedModel loaded) {
        if (!loaded.replacedKeys().isEmpty()) {
            out.println("note: the file's classifier does not have " + loaded.info().numClasses()
                    + " classes; freshly initialised " + String.join(", ", loaded.replacedKeys()));
        }
        if (!loaded.defaultedKeys().isEmpty()) {
            // Listed by kind: a CIFAR checkpoint lacks one num_batches_tracked per BatchNorm layer.
            Map<String, Long> byName = loaded.defaultedKeys().stream().collect(Collectors.groupingBy(
                    k -> k.substring(k.lastIndexOf('.') + 1), LinkedHashMap::new, Collectors.counting()));
            StringJoiner kinds = new StringJoiner(", ");
            byName.forEach((name, count) -> kinds.add(count + " " + name));
            out.println("note: the file lacks optional keys (" + kinds + "); they keep their initial values");
        }
    }

    /** Warns when logits, [N, classes] row-major, hold NaN or infinities: results no one should trust. */
    static void nonFiniteLogits(PrintWriter out, float[] logits, int classes) {
        int bad = 0;
        int badImages = 0;
        for (int start = 0; start < logits.length; start += classes) {
            int inImage = 0;
            for (int i = start; i < start + classes; i++) {
                inImage += Float.isFinite(logits[i]) ? 0 : 1;
            }
            bad += inImage;
            badImages += inImage > 0 ? 1 : 0;
        }
        if (bad > 0) {
            int images = logits.length / classes;
            out.println("warning: " + bad + " of " + logits.length + " logits are NaN or infinite, in " + badImages
                    + " of " + images + (images == 1 ? " image" : " images"));
        }
    }
}
