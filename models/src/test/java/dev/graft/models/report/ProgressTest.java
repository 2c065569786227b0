package dev.graft.models.report;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Progress output for given states and times (the caller's clock), in terminal and log mode. */
class ProgressTest {
    private static final String NL = System.lineSeparator();

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);

    private String output() {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void terminalRedrawsOneLineInPlace() {
        var p = new Progress(out, true, "train", 4);
        p.update(1, 0.5, 0.25, 32, 1.0);
        p.update(2, 0.4, 0.3, 64, 1.05); // within 0.1 s of the last redraw: skipped
        p.update(3, 0.25, 0.5, 96, 2.0);
        p.update(4, 0.2, 0.75, 128, 2.5); // the last batch is always drawn
        p.finish("val acc 80.0%");
        String l1 = "train [======>                 ]  1/4  loss 0.5000  acc 25.0%  32.0 img/s  ETA 0:03";
        String l3 = "train [==================>     ]  3/4  loss 0.2500  acc 50.0%  48.0 img/s  ETA 0:01";
        String l4 = "train [========================]  4/4  loss 0.2000  acc 75.0%  51.2 img/s  0:03";
        // the shorter final line is padded over the previous one's tail
        assertEquals("\r" + l1 + "\r" + l3 + "\r" + l4 + "    " + "\r" + l4 + "  val acc 80.0%" + NL, output());
    }

    @Test
    void logModePrintsFewPlainLines() {
        var p = new Progress(out, false, "epoch 3", 100);
        for (int b = 1; b <= 100; b++) {
            p.update(b, 0.6931, 0.51, 32L * b, b / 5.0); // 20 s in all, a batch every 0.2 s
        }
        p.finish("val loss 0.7000");
        // a line at the first new tenth at least 5 s after the previous line; the last state only from finish
        assertEquals("epoch 3  25/100 (25%)  loss 0.6931  acc 51.0%  160 img/s  0:05 elapsed, ETA 0:15" + NL
                + "epoch 3  50/100 (50%)  loss 0.6931  acc 51.0%  160 img/s  0:10 elapsed, ETA 0:10" + NL
                + "epoch 3  75/100 (75%)  loss 0.6931  acc 51.0%  160 img/s  0:15 elapsed, ETA 0:05" + NL
                + "epoch 3  100/100 (100%)  loss 0.6931  acc 51.0%  160 img/s  0:20  val loss 0.7000" + NL, output());
    }

    @Test
    void logModeFastEpochPrintsOnlyTheFinalLine() {
        var p = new Progress(out, false, "train", 50);
        for (int b = 1; b <= 50; b++) {
            p.update(b, 1.25, 0.5, 10L * b, b / 100.0);
        }
        p.finish(null);
        assertEquals("train  50/50 (100%)  loss 1.2500  acc 50.0%  1000 img/s  0:01" + NL, output());
    }

    @Test
    void oddInputNeverThrows() {
        var p = new Progress(out, true, null, 0);
        p.update(0, Double.NaN, Double.NaN, 0, 0);
        p.update(-3, Double.POSITIVE_INFINITY, -1, -5, Double.NaN);
        p.update(7, Double.NaN, 0.5, 100, -2);
        p.finish("");
        p.update(8, 1, 1, 1, 1); // after finish: ignored
        p.finish("again");
        String s = output();
        assertTrue(s.startsWith("\r [>                       ]  0/0  loss nan  acc nan  - img/s  ETA --:--"), s);
        assertFalse(s.contains("again") || s.contains("8/0"), s);
        assertTrue(s.endsWith(NL), s);

        var log = new Progress(out, false, "x", -4);
        log.update(3, Double.NaN, Double.NaN, 9, 100);
        log.finish("done");
        assertTrue(output().endsWith("x  3/0  loss nan  acc nan  0.1 img/s  1:40  done" + NL), output());
    }

    @Test
    void durationsAndRates() {
        assertEquals("0:00", Progress.duration(0));
        assertEquals("1:00", Progress.duration(59.6));
        assertEquals("59:59", Progress.duration(3599));
        assertEquals("1:02:05", Progress.duration(3725));
        assertEquals("--:--", Progress.duration(Double.POSITIVE_INFINITY));
        assertEquals("--:--", Progress.duration(-1));
    }
}
