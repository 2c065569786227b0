package dev.graft.models.cli;

import dev.graft.models.ModelRegistry;
import dev.graft.models.bundle.LoadOptions;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.util.Iterator;

/** {@code --arch}: the option of every command that loads a weights file; {@link ModelOptions} adds a new head. */
class ArchOption {
    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    @Option(names = "--arch", paramLabel = "NAME",
            description = "Architecture of a file that does not record it (not needed for graft bundles): "
                    + "${COMPLETION-CANDIDATES}.", completionCandidates = ArchNames.class)
    private String arch;

    /** The load options these flags ask for; an unknown architecture is a usage error. */
    LoadOptions loadOptions() {
        if (arch != null && !ModelRegistry.names().contains(arch)) {
            throw new ParameterException(spec.commandLine(), "unknown architecture '" + arch + "' for --arch; known: "
                    + String.join(", ", ModelRegistry.names()));
        }
        return LoadOptions.defaults().withArch(arch);
    }

    /** Lists the registry's names in --help. */
    static final class ArchNames implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return ModelRegistry.names().iterator();
        }
    }
}
