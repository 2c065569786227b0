package dev.graft.models.cli;

import dev.graft.engine.io.AtomicFile;
import dev.graft.models.bundle.LoadOptions;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The options that say how to build the network for a weights file, shared by the commands that may give it a
 * new classifier (convert, training); {@code infer} takes {@link ArchOption} alone.
 */
final class ModelOptions extends ArchOption {
    @Option(names = "--num-classes", paramLabel = "N",
            description = "Classes of the network; a checkpoint classifier of another size is replaced by a "
                    + "freshly initialised one. Default: the file's.")
    private Integer numClasses;

    /** The load options these flags ask for; an unknown architecture or a bad class count is a usage error. */
    @Override
    LoadOptions loadOptions() {
        LoadOptions options = super.loadOptions();
        if (numClasses != null && numClasses < 1) {
            throw new ParameterException(spec.commandLine(), "--num-classes must be at least 1, got " + numClasses);
        }
        return numClasses == null ? options : options.withNewClassifier(numClasses);
    }

    /**
     * Fails with a usage error, before any work, when {@code file} cannot be written: its folder does not exist,
     * or it is a directory or another file that is not replaced ({@link AtomicFile#checkTarget}).
     */
    static void checkOutputFolder(CommandSpec spec, Path file, String option) {
        Path folder = file.toAbsolutePath().getParent();
        if (folder != null && !Files.isDirectory(folder)) {
            throw new ParameterException(spec.commandLine(), option + ": folder " + folder + " does not exist");
        }
        try {
            AtomicFile.checkTarget(file);
        } catch (FileSystemException e) {
            throw new ParameterException(spec.commandLine(), option + ": " + e.getFile() + ": " + e.getReason(), e);
        } catch (IOException e) {
            throw new ParameterException(spec.commandLine(), option + ": " + file + ": " + e.getMessage(), e);
        }
    }
}
