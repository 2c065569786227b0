package dev.graft.models.cli;

import dev.graft.engine.safetensors.SafetensorsFormatException;
import dev.graft.models.bundle.ModelBundle;
import dev.graft.models.bundle.WeightsException;
import dev.graft.models.train.NonFiniteLossException;
import dev.graft.weights.CheckpointFormatException;
import dev.graft.weights.npy.NpyFormatException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.UnmatchedArgumentException;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.util.List;

/**
 * {@code graft}, the command-line entry point. Sub-commands are classes in this package registered below;
 * {@link #commandLine()} wires the error handling every one of them shares.
 */
@Command(name = "graft", mixinStandardHelpOptions = true, versionProvider = GraftCommand.Version.class,
        subcommands = {DemoCommand.class, TrainCommand.class, EvaluateCommand.class, PredictCommand.class,
                LrFindCommand.class, ConvertCommand.class, InspectCommand.class, InferCommand.class, BenchCommand.class,
                HelpCommand.class},
        description = "Transfer learning with ResNets on the JVM.",
        footer = "%nRun 'graft help COMMAND' or 'graft COMMAND --help' for a command's options.")
public final class GraftCommand implements Runnable {
    private static final int USAGE_ERROR = 2;
    private static final int RUNTIME_ERROR = 1;

    /** Declares the option on every command; the error handler finds it in the parse result. */
    @Option(names = "--verbose", scope = ScopeType.INHERIT, description = "Print the stack trace of an error.")
    private boolean verbose;

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "missing command: one of "
                + String.join(", ", spec.subcommands().keySet()));
    }

    public static void main(String[] args) {
        int code;
        try {
            code = commandLine().execute(args);
        } catch (OutOfMemoryError e) {
            // Errors bypass picocli's handlers; this one has a remedy worth a line instead of a stack trace.
            System.err.println("graft: out of memory (" + e.getMessage() + "); allow Java a larger heap, e.g."
                    + " GRAFT_JAVA_OPTS=-Xmx16g");
            code = RUNTIME_ERROR;
        }
        System.exit(code);
    }

    /** A command line for {@code graft} that reports errors as one line on its err writer (see the package docs). */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new GraftCommand());
        // A word that is not a command ends parsing, so 'graft foo inspect' reports foo, not inspect's arguments.
        cl.getCommandSpec().parser().stopAtPositional(true);
        cl.setParameterExceptionHandler((e, args) -> {
            CommandLine failed = e.getCommandLine();
            failed.getErr().println(prefix(failed) + ": " + oneLine(usageMessage(e)) + " (see '"
                    + failed.getCommandSpec().qualifiedName() + " --help')");
            failed.getErr().flush();
            return USAGE_ERROR;
        });
        cl.setExecutionExceptionHandler((e, failed, parsed) -> {
            PrintWriter err = failed.getErr();
            boolean verbose = hasVerbose(parsed);
            err.println(prefix(failed) + ": " + oneLine(reason(e, verbose)));
            if (verbose) {
                e.printStackTrace(err);
            }
            err.flush();
            return RUNTIME_ERROR;
        });
        return cl;
    }

    /** picocli's message, except that an unknown command is called one; both with picocli's suggestions. */
    private static String usageMessage(ParameterException e) {
        CommandLine failed = e.getCommandLine();
        if (e instanceof UnmatchedArgumentException unmatched && !unmatched.getUnmatched().isEmpty()) {
            if (unmatched.isUnknownOption() || failed.getSubcommands().isEmpty()) {
                return e.getMessage() + didYouMean(unmatched.getSuggestions());
            }
            return unknownCommand(failed, unmatched.getUnmatched().getFirst(), unmatched.getSuggestions());
        }
        ParseResult parsed = failed.getParseResult();
        if (e.getValue() != null && parsed != null && parsed.subcommand() != null
                && parsed.subcommand().commandSpec().userObject() instanceof HelpCommand) {
            // 'graft help foo': picocli's HelpCommand reports foo in words of its own, without suggestions.
            return unknownCommand(failed, e.getValue(),
                    new UnmatchedArgumentException(failed, List.of(e.getValue())).getSuggestions());
        }
        return e.getMessage();
    }

    private static String unknownCommand(CommandLine parent, String word, List<String> suggestions) {
        return "unknown command '" + word + "'" + (suggestions.isEmpty()
                ? "; commands: " + String.join(", ", parent.getSubcommands().keySet()) : didYouMean(suggestions));
    }

    private static String didYouMean(List<String> suggestions) {
        return suggestions.isEmpty() ? "" : "; did you mean " + String.join(" or ", suggestions) + "?";
    }

    private static String prefix(CommandLine command) {
        return command.getCommandSpec().qualifiedName();
    }

    private static boolean hasVerbose(ParseResult parsed) {
        for (ParseResult p = parsed; p != null; p = p.subcommand()) {
            if (p.hasMatchedOption("--verbose")) {
                return true;
            }
        }
        return false;
    }

    /** The user-facing reason: our own messages name the file and values; the JDK's file errors get words. */
    private static String reason(Exception e, boolean verbose) {
        return switch (e) {
            case NoSuchFileException f -> "no such file: " + f.getFile();
            case AccessDeniedException f -> "permission denied: " + f.getFile();
            case FileSystemException f -> f.getReason() != null ? f.getFile() + ": " + f.getReason() : f.getMessage();
            case WeightsException w -> w.getMessage();
            case NonFiniteLossException n -> n.getMessage();
            case NpyFormatException n -> n.getMessage();
            case SafetensorsFormatException s -> s.getMessage();
            case CheckpointFormatException c -> c.getMessage();
            case IllegalArgumentException i -> i.getMessage();
            case IOException io -> io.getMessage() != null ? io.getMessage() : io.toString();
            default -> "internal error: " + e + (verbose ? "" : " (rerun with --verbose for the stack trace)");
        };
    }

    /**
     * Folds a multi-line message onto one line, so each error is exactly one line of stderr: a line ending in a
     * colon runs on into the next, other line breaks become "; ".
     */
    static String oneLine(String message) {
        return message == null ? "" : message.strip().replaceAll(":\\s*\\R\\s*", ": ").replaceAll("\\s*\\R\\s*", "; ");
    }

    /** Prints the version Maven stamped into the build. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"graft " + ModelBundle.graftVersion(), "Java " + Runtime.version()};
        }
    }
}
