package dev.graft.models.cli;

import dev.graft.models.bundle.LoadedModel;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.StringJoiner;
import java.util.stream.Collectors;

/** What a command tells the user about a load that succeeded with adjustments. */
final class Notes {
    private Notes() {
    }

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
}
