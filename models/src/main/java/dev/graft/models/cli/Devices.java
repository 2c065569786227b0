package dev.graft.models.cli;

import dev.graft.engine.Backend;
import dev.graft.engine.BackendUnavailableException;
import dev.graft.engine.Backends;
import dev.graft.engine.cpu.Parallel;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

import java.io.PrintStream;

/** The {@code --device} and {@code --threads} options of the compute commands. */
final class Devices {
    private Devices() {
    }

    /**
     * A compute command's output and error streams (over picocli's writers, so tests capture them) and the
     * backend {@code --device} named.
     */
    record Console(PrintStream out, PrintStream err, Backend device) {
    }

    /**
     * Opens {@code --device} (failing with the backend's own message when it cannot run here), sizes the compute
     * pool to {@code --threads} (0: default) and opens the command's streams: what every compute command does
     * first.
     */
    static Console start(CommandSpec spec, ComputeOptions options) {
        PrintStream err = WriterStreams.over(spec.commandLine().getErr());
        return new Console(WriterStreams.over(spec.commandLine().getOut()), err, open(spec, options, err));
    }

    /** The backend {@code --device} names, with the compute pool sized to {@code --threads}; warnings go to err. */
    static Backend open(CommandSpec spec, ComputeOptions options, PrintStream err) {
        Backend device = backend(spec, options.device);
        threads(spec, options.threads, err);
        return device;
    }

    /** The named backend; never a silent fallback to the CPU. */
    static Backend backend(CommandSpec spec, String device) {
        try {
            return Backends.get(device);
        } catch (IllegalArgumentException e) {
            String hint = "cuda".equals(device) ? " (the CUDA backend ships in graft-kernels, which is not on the class"
                    + " path of this build)" : "";
            throw new ParameterException(spec.commandLine(), "--device " + device + ": " + e.getMessage() + hint);
        } catch (BackendUnavailableException e) {
            throw new ParameterException(spec.commandLine(), "--device " + device + ": " + e.getMessage());
        }
    }

    /**
     * Sizes graft's compute pool before its first use; {@code threads} 0 keeps the default (every core). In a
     * JVM that has computed already the pool is fixed, which is said on {@code err}.
     */
    static void threads(CommandSpec spec, int threads, PrintStream err) {
        if (threads < 0) {
            throw new ParameterException(spec.commandLine(), "--threads must be >= 1, got " + threads);
        }
        if (threads > 0) {
            System.setProperty("graft.threads", Integer.toString(threads));
            if (Parallel.threads() != threads) {
                err.println("warning: --threads " + threads + " ignored: this JVM already computes with "
                        + Parallel.threads() + " threads");
            }
        }
    }
}
