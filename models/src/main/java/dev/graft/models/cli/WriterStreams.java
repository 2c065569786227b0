package dev.graft.models.cli;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;

/**
 * A PrintStream over a command's PrintWriter, for the parts that print to streams (progress bars), so that all of
 * a command's output goes where picocli's {@code getOut()}/{@code getErr()} point (tests capture them).
 */
final class WriterStreams {
    private WriterStreams() {
    }

    static PrintStream over(PrintWriter writer) {
        OutputStream bytes = new OutputStream() {
            private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

            @Override
            public void write(int b) {
                pending.write(b);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                pending.write(b, off, len);
            }

            @Override
            public void flush() {
                // Whole UTF-8 sequences only: PrintStream flushes after complete writes.
                writer.write(pending.toString(StandardCharsets.UTF_8));
                pending.reset();
                writer.flush();
            }
        };
        return new PrintStream(bytes, true, StandardCharsets.UTF_8);
    }
}
