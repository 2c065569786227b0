package dev.graft.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The summary of a JMH JSON file in the format JMH writes (trimmed to the fields read), with figures worked out by
 * hand in the comments.
 */
class SummaryTest {
    private static final String JMH = """
            [
              {"benchmark": "dev.graft.bench.FmaPeakBench.fma", "mode": "thrpt", "threads": 1,
               "jvmArgs": ["--add-modules=jdk.incubator.vector"], "params": {},
               "primaryMetric": {"score": 520833.3, "scoreError": "NaN", "scoreUnit": "ops/s"},
               "secondaryMetrics": {"flops": {"score": 2.0E11, "scoreError": "NaN", "scoreUnit": "ops/s"}}},
              {"benchmark": "dev.graft.bench.FmaPeakBench.fma", "mode": "thrpt", "threads": 2,
               "jvmArgs": ["--add-modules=jdk.incubator.vector"], "params": {},
               "primaryMetric": {"score": 937.5, "scoreError": 10.0, "scoreUnit": "ops/ms"},
               "secondaryMetrics": {"flops": {"score": 3.6E8, "scoreUnit": "ops/ms"}}},
              {"benchmark": "dev.graft.bench.GemmBench.resnet50", "mode": "avgt", "threads": 1,
               "jvmArgs": ["-Dgraft.threads=2"], "params": {"layer": "l2_3x3", "pass": "bwdData", "images": "1"},
               "primaryMetric": {"score": 2.0, "scoreError": 0.1, "scoreUnit": "ms/op"}, "secondaryMetrics": {}},
              {"benchmark": "dev.graft.bench.GemmBench.sgemm", "mode": "avgt", "threads": 1,
               "jvmArgs": ["--add-modules=jdk.incubator.vector", "-Dgraft.threads=2"],
               "params": {"shape": "512x512x512"},
               "primaryMetric": {"score": 1.0, "scoreError": 0.05, "scoreUnit": "ms/op"}, "secondaryMetrics": {}},
              {"benchmark": "dev.graft.bench.GemmBench.resnet50", "mode": "avgt", "threads": 1,
               "jvmArgs": ["-Dgraft.threads=2"], "params": {"layer": "l4_3x3", "pass": "fwd", "images": "4"},
               "primaryMetric": {"score": 3.0, "scoreError": 0.1, "scoreUnit": "ms/op"}, "secondaryMetrics": {}},
              {"benchmark": "dev.graft.bench.Conv2dBench.forward", "mode": "avgt", "threads": 1,
               "jvmArgs": ["-Dgraft.threads=2"], "params": {"layer": "l2_3x3"},
               "primaryMetric": {"score": 20000.0, "scoreError": 500.0, "scoreUnit": "us/op"}},
              {"benchmark": "dev.graft.bench.Conv2dBench.backwardWeight", "mode": "avgt", "threads": 1,
               "jvmArgs": ["-Dgraft.threads=2"], "params": {"layer": "l2_3x3_s2"},
               "primaryMetric": {"score": 10.0, "scoreError": 1.0, "scoreUnit": "ms/op"}},
              {"benchmark": "dev.graft.bench.BatchNormBench.backward", "mode": "avgt", "threads": 1,
               "jvmArgs": ["-Dgraft.threads=2"], "params": {"layer": "l1_expand"},
               "primaryMetric": {"score": 3.0, "scoreError": 0.2, "scoreUnit": "ms/op"}},
              {"benchmark": "dev.graft.bench.TrainStepBench.trainStep", "mode": "avgt", "threads": 1,
               "jvmArgs": ["-Dgraft.threads=2"], "params": {"arch": "resnet50"},
               "primaryMetric": {"score": 2000.0, "scoreError": 100.0, "scoreUnit": "ms/op"}},
              {"benchmark": "dev.graft.bench.OtherBench.run", "mode": "avgt", "threads": 1,
               "jvmArgs": [], "params": {"size": "7"},
               "primaryMetric": {"score": 1.5, "scoreError": 0.25, "scoreUnit": "ms/op"}}
            ]
            """;
    private static final String TORCH = """
            {"torch": "1.13.0a0", "threads": 2, "results": [
              {"key": "gemm:512x512x512", "impl": "torch.mm", "seconds": 0.1, "compare": false},
              {"key": "gemm:512x512x512", "impl": "oneDNN 1x1 conv", "seconds": 0.002, "compare": true},
              {"key": "conv:l2_3x3:forward", "impl": "F.conv2d", "seconds": 0.01, "compare": true},
              {"key": "bn:l1_expand:backward", "impl": "autograd", "seconds": 0.006, "compare": true}
            ]}
            """;

    @TempDir
    Path dir;

    @Test
    void readsJmhRows() throws IOException {
        List<JmhResult> rows = JmhResult.read(write("jmh.json", JMH));
        assertEquals(10, rows.size());
        JmhResult gemm = rows.get(3);
        assertEquals("GemmBench.sgemm", gemm.benchmark());
        assertEquals(2, gemm.graftThreads());
        assertEquals(0, rows.get(0).graftThreads());
        assertEquals(Map.of("shape", "512x512x512"), gemm.params());
        assertEquals(1e-3, gemm.secondsPerOp(), 1e-15);
        assertEquals(0.02, rows.get(5).secondsPerOp(), 1e-15);
        assertTrue(Double.isNaN(rows.get(0).error()));
        // 937.5 ops/ms is 937,500 ops/s: 1.0667 µs per op
        assertEquals(1 / 937_500.0, rows.get(1).secondsPerOp(), 1e-15);
        assertEquals(Map.of(1, 200.0, 2, 360.0), Summary.peaks(rows));
    }

    @Test
    void summaryGivesGflopsShareOfPeakAndTheTarget() throws IOException {
        String md = Summary.markdown("t", List.of("ctx"), JmhResult.read(write("jmh.json", JMH)), null);
        assertTrue(md.startsWith("# t\n\nctx  \n"), md);
        assertTrue(md.contains("| 1 | 200.0 | 200.0 |\n| 2 | 360.0 | 180.0 |"), md);
        // 2·512³ = 268,435,456 FLOPs in 1 ms: 268.4 GFLOP/s, 74.6% of 360
        assertTrue(md.contains("| sgemm | NN 512x512x512 | 1.000 | 0.050 | 268.4 | 74.6 |"), md);
        // 2·1152·784·128 = 231,211,008 FLOPs in 2 ms: 115.6 GFLOP/s, 32.1%
        assertTrue(md.contains("| l2_3x3 bwdData | TN 1152x784x128 | 2.000 | 0.100 | 115.6 | 32.1 |"), md);
        // 4 images: 2·512·196·4608 = 924,844,032 FLOPs in 3 ms: 308.3 GFLOP/s, 85.6%
        assertTrue(md.contains("| l4_3x3 fwd, 4 images | NN 512x196x4608 | 3.000 | 0.100 | 308.3 | 85.6 |"), md);
        assertTrue(md.contains("2 of 3 rows; lowest l2_3x3:bwdData at 32.1%"), md);
        // 8 images x 231,211,008 FLOPs in 20 ms: 92.5 GFLOP/s, 25.7%
        assertTrue(md.contains("| l2_3x3 | 128x28² → 128x28², 3x3 s1 p1 | forward | 20.000 | 0.500 | 92.5 | 25.7 |"),
                md);
        // square GEMMs first; layers in ResNet-50's forward order (l2_3x3_s2 before l2_3x3), whatever JMH's order
        assertTrue(md.indexOf("| sgemm |") < md.indexOf("| l2_3x3 bwdData |"), md);
        assertTrue(md.indexOf("| l2_3x3_s2 | 128x56² → 128x28², 3x3 s2 p1 | backwardWeight | 10.000 | 1.000 | 185.0 | 51.4 |")
                < md.indexOf("| l2_3x3 | 128x28²"), md);
        assertTrue(md.contains("| l1_expand | [8, 256, 56, 56] | backward | 3.000 | 0.200 |"), md);
        assertTrue(md.contains("| resnet50 | trainStep | 2000.000 | 100.000 | 4.0 |"), md);
        assertTrue(md.contains("| OtherBench.run | {size=7} | 1.500 | 0.250 | ms/op |"), md);
        assertFalse(md.contains("PyTorch"), md);
    }

    @Test
    void pytorchFiguresStandBesideGraftsWithTheRatio() throws IOException {
        TorchResults torch = TorchResults.read(write("torch.json", TORCH));
        assertEquals(3, torch.compared().size());
        String md = Summary.markdown("t", List.of(), JmhResult.read(write("jmh.json", JMH)), torch);
        assertTrue(md.contains("PyTorch 1.13.0a0, 2 threads"), md);
        // oneDNN: 268,435,456 FLOPs in 2 ms = 134.2 GFLOP/s; graft took 1 ms: 2.00
        assertTrue(md.contains("| 268.4 | 74.6 | 134.2 GFLOP/s (oneDNN 1x1 conv) | 2.00 |"), md);
        assertTrue(md.contains("| 115.6 | 32.1 | – | – |"), md);
        assertTrue(md.contains("| 308.3 | 85.6 | – | – |"), md);
        assertEquals("gemm:l4_3x3:fwd:x4", Summary.key(JmhResult.read(write("jmh.json", JMH)).get(4)));
        // 1,849,688,064 FLOPs in 10 ms = 185.0 GFLOP/s; graft took 20 ms: 0.50
        assertTrue(md.contains("| 92.5 | 25.7 | 185.0 GFLOP/s (F.conv2d) | 0.50 |"), md);
        assertTrue(md.contains("| 3.000 | 0.200 | 6.000 ms (autograd) | 2.00 |"), md);
    }

    @Test
    void unknownUnitsAreRejected() {
        JmhResult r = new JmhResult("GemmBench.sgemm", 1, 1, Map.of(), 1, 0, "furlongs", Map.of());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::secondsPerOp);
        assertTrue(e.getMessage().contains("furlongs"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> JmhResult.perSecond(new JmhResult.Metric(1, "ms/op")));
        assertThrows(IllegalArgumentException.class,
                () -> new JmhResult("X.y", 1, 1, Map.of(), 1, 0, "ms/day", Map.of()).secondsPerOp());
    }

    private Path write(String name, String text) throws IOException {
        return Files.writeString(dir.resolve(name), text);
    }
}
