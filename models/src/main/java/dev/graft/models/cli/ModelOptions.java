package dev.graft.models.cli;

import dev.graft.models.ModelRegistry;
import dev.graft.models.bundle.LoadOptions;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;

/** The options that say how to build the network for a weights file, shared by the commands that load one. */
final class ModelOptions {
    @Spec(Spec.Target.MIXEE)
    private CommandSpec spec;

    @Option(names = "--arch", paramLabel = "NAME",
            description = "Architecture of a file that does not record it (not needed for graft bundles): "
                    + "${COMPLETION-CANDIDATES}.", completionCandidates = ArchNames.class)
    private String arch;

    @Option(names = "--num-classes", paramLabel = "N",
            description = "Classes of the network; a checkpoint classifier of another size is replaced by a "
                    + "freshly initialised one. Default: the file's.")
    private Integer numClasses;

    /** The load options these flags ask for; an unknown architecture or a bad class count is a usage error. */
    LoadOptions loadOptions() {
        if (arch != null && !ModelRegistry.names().contains(arch)) {
            throw new ParameterException(spec.commandLine(), "unknown architecture '" + arch + "' for --arch; known: "
                    + String.join(", ", ModelRegistry.names()));
        }
        if (numClasses != null && numClasses < 1) {
            throw new ParameterException(spec.commandLine(), "--num-classes must be at least 1, got " + numClasses);
        }
        LoadOptions options = LoadOptions.defaults().withArch(arch);
        return numClasses == null ? options : options.withNewClassifier(numClasses);
    }

    /** Fails with a usage error when the folder {@code file} is to be written in does not exist. */
    static void checkOutputFolder(CommandSpec spec, Path file, String option) {
        Path folder = file.toAbsolutePath().getParent();
        if (folder != null && !Files.isDirectory(folder)) {
            throw new ParameterException(spec.commandLine(), option + ": folder " + folder + " does not exist");
        }
    }

    /** Lists the registry's names in --help. */
    static final class ArchNames implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return ModelRegistry.names().iterator();
        }
    }
}
