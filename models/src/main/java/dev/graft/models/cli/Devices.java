package dev.graft.models.cli;

import dev.graft.engine.cpu.Parallel;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

import java.io.PrintStream;

/** The {@code --device} and {@code --threads} options of the compute commands. */
final class Devices {
    private Devices() {
    }

    /** A compute command's output and error streams (over picocli's writers, so tests capture them). */
    record Console(PrintStream out, PrintStream err) {
    }

    /**
     * Checks {@code --device}, sizes the compute pool to {@code --threads} (0: default) and opens the command's
     * streams: what every compute command does first.
     */
    static Console start(CommandSpec spec, String device, int threads) {
        require(spec, device);
        Console console = new Console(WriterStreams.over(spec.commandLine().getOut()),
                WriterStreams.over(spec.commandLine().getErr()));
        threads(spec, threads, console.err());
        return console;
    }

    /** Only the CPU backend exists so far; asking for CUDA is an error, not a silent fallback. */
    static void require(CommandSpec spec, String device) {
        if (!"cpu".equals(device)) {
            throw new ParameterException(spec.commandLine(), "--device " + device + ": this build of graft has only "
                    + "the CPU backend (cpu); the CUDA backend is not part of it yet");
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
