package dev.graft.models.cli;

import picocli.CommandLine.Option;

/** {@code --device} and {@code --threads}, mixed into every command that computes. */
final class ComputeOptions {
    @Option(names = "--device", defaultValue = "cpu", paramLabel = "NAME",
            description = "Backend that computes: cpu or cuda (default: ${DEFAULT-VALUE}).")
    String device;
    @Option(names = "--threads", defaultValue = "0", description = "CPU compute threads (default: all cores).")
    int threads;
}
