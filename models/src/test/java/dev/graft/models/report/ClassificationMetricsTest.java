package dev.graft.models.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.graft.engine.Tensor;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ClassificationMetrics against a case worked by hand and against {@code fixtures/report/metrics.txt}, written
 * by {@code models/src/test/fixtures/make_metrics_fixtures.py} from scikit-learn's definitions in NumPy.
 */
class ClassificationMetricsTest {
    private static final double EXACT = 1e-15;

    /**
     * Six samples of three classes. Predictions 0, 1, 2, 2, 0, 0 (the last a tie of classes 0 and 1, which the
     * first index wins) for labels 0, 1, 1, 2, 2, 0 give the confusion rows [2 0 0], [0 1 1], [1 0 1].
     */
    private static ClassificationMetrics handCase() {
        var m = new ClassificationMetrics(List.of("cat", "dog", "fox"));
        m.add(Tensor.of(new float[] {2, 1, 0, 0, 3, 1, 1, 0, 2}, 3, 3), Tensor.ofLongs(new long[] {0, 1, 1}, 3));
        m.add(Tensor.of(new double[] {0, 0, 5, 4, 1, 1, 1, 1, 0}, 3, 3), Tensor.ofLongs(new long[] {2, 2, 0}, 3));
        return m;
    }

    @Test
    void handComputedCase() {
        var m = handCase();
        assertEquals(6, m.count());
        assertArrayEquals(new long[][] {{2, 0, 0}, {0, 1, 1}, {1, 0, 1}}, m.confusion());
        assertEquals(4.0 / 6, m.accuracy(), EXACT);
        // precision: tp over the predicted column; recall: tp over the true row
        assertArrayEquals(new double[] {2.0 / 3, 1, 0.5}, m.precision(), EXACT);
        assertArrayEquals(new double[] {1, 0.5, 0.5}, m.recall(), EXACT);
        // F1 = 2 tp / (2 tp + fp + fn): 4/5, 2/3, 2/4
        assertArrayEquals(new double[] {0.8, 2.0 / 3, 0.5}, m.f1(), EXACT);
        assertEquals((0.8 + 2.0 / 3 + 0.5) / 3, m.macroF1(), EXACT);
        assertArrayEquals(new long[] {2, 2, 2}, m.support());
        assertTrue(m.top5().isEmpty());
    }

    @Test
    void topFiveRanksTiesByIndex() {
        var m = new ClassificationMetrics(List.of("a", "b", "c", "d", "e", "f"));
        float[] descending = {6, 5, 4, 3, 2, 1};
        float[] flat = {1, 1, 1, 1, 1, 1};
        float[] logits = new float[24];
        System.arraycopy(descending, 0, logits, 0, 6);
        System.arraycopy(descending, 0, logits, 6, 6);
        System.arraycopy(flat, 0, logits, 12, 6);
        System.arraycopy(flat, 0, logits, 18, 6);
        // label 5 ranks sixth and label 4 fifth in both rows; the flat rows all predict class 0
        m.add(Tensor.of(logits, 4, 6), Tensor.ofLongs(new long[] {5, 4, 5, 4}, 4));
        assertEquals(0.5, m.top5().orElseThrow(), EXACT);
        assertEquals(0, m.accuracy(), EXACT);
        assertEquals(4, Arrays.stream(m.confusion()).mapToLong(row -> row[0]).sum());
    }

    @Test
    void nanLogitIsTheLargest() {
        var m = new ClassificationMetrics(List.of("a", "b", "c"));
        m.add(Tensor.of(new float[] {5, Float.NaN, 7, Float.NaN, Float.NaN, 1}, 2, 3),
                Tensor.ofLongs(new long[] {1, 0}, 2));
        // as numpy.argmax: the first NaN wins
        assertArrayEquals(new long[][] {{1, 0, 0}, {0, 1, 0}, {0, 0, 0}}, m.confusion());
    }

    @Test
    void matchesTheNumpyFixture() throws IOException {
        List<FixtureCase> cases = fixture();
        assertEquals(4, cases.size());
        for (FixtureCase c : cases) {
            var m = new ClassificationMetrics(classNames(c.classes));
            // in uneven batches, to exercise accumulation
            for (int start = 0; start < c.batch; start += 7) {
                int n = Math.min(7, c.batch - start);
                m.add(Tensor.of(Arrays.copyOfRange(c.logits, start * c.classes, (start + n) * c.classes), n, c.classes),
                        Tensor.ofLongs(Arrays.copyOfRange(c.labels, start, start + n), n));
            }
            String name = c.name + ": ";
            assertEquals(c.batch, m.count(), name + "count");
            long[] flat = Arrays.stream(m.confusion()).flatMapToLong(Arrays::stream).toArray();
            assertArrayEquals(c.confusion, flat, name + "confusion");
            assertArrayEquals(c.precision, m.precision(), 1e-12, name + "precision");
            assertArrayEquals(c.recall, m.recall(), 1e-12, name + "recall");
            assertArrayEquals(c.f1, m.f1(), 1e-12, name + "f1");
            assertEquals(c.accuracy, m.accuracy(), 1e-12, name + "accuracy");
            assertEquals(c.macroF1, m.macroF1(), 1e-12, name + "macro F1");
            if (Double.isNaN(c.top5)) {
                assertTrue(m.top5().isEmpty(), name + "top-5");
            } else {
                assertEquals(c.top5, m.top5().orElseThrow(), 1e-12, name + "top-5");
            }
        }
    }

    @Test
    void badBatchesAreRejectedAndCountNothing() {
        var m = handCase();
        long[][] before = m.confusion();
        var e = assertThrows(IllegalArgumentException.class,
                () -> m.add(Tensor.zeros(2, 3), Tensor.ofLongs(new long[] {0, 3}, 2)));
        assertTrue(e.getMessage().contains("label 3 at batch index 1") && e.getMessage().contains("[0, 3)"),
                e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> m.add(Tensor.zeros(2, 3), Tensor.ofLongs(new long[] {-1, 0}, 2)));
        e = assertThrows(IllegalArgumentException.class,
                () -> m.add(Tensor.zeros(2, 4), Tensor.ofLongs(new long[] {0, 1}, 2)));
        assertTrue(e.getMessage().contains("[B, 3]") && e.getMessage().contains("[2, 4]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> m.add(Tensor.zeros(2, 3), Tensor.zeros(2)));
        assertThrows(IllegalArgumentException.class,
                () -> m.add(Tensor.zeros(2, 3), Tensor.ofLongs(new long[] {0}, 1)));
        assertThrows(IllegalArgumentException.class, () -> m.add(Tensor.zeros(6), Tensor.ofLongs(new long[] {0}, 1)));
        assertEquals(6, m.count());
        assertArrayEquals(before, m.confusion());
        assertThrows(IllegalArgumentException.class, () -> new ClassificationMetrics(List.of()));
        e = assertThrows(IllegalArgumentException.class, () -> new ClassificationMetrics(List.of("a", "b", "a")));
        assertTrue(e.getMessage().contains("[a, b, a]"), e.getMessage());
    }

    @Test
    void emptyMetricsAreNanOrZeroAndNeverThrow() {
        var m = new ClassificationMetrics(List.of("a", "b", "c", "d", "e"));
        m.add(Tensor.zeros(0, 5), Tensor.ofLongs(new long[0], 0));
        assertEquals(0, m.count());
        assertTrue(Double.isNaN(m.accuracy()));
        assertTrue(Double.isNaN(m.top5().orElseThrow()));
        assertArrayEquals(new double[5], m.f1());
        assertEquals(0, m.macroF1());
        assertTrue(m.table().contains("nan"), m.table());
    }

    @Test
    void tableHasAlignedRowsForClassesAndSummaries() {
        String table = handCase().table();
        List<String> lines = table.lines().toList();
        assertEquals(List.of("class", "cat", "dog", "fox", "accuracy", "macro"),
                lines.stream().map(l -> l.split(" +")[0]).toList());
        assertEquals(1, lines.stream().mapToInt(String::length).distinct().count(), table);
        assertEquals(List.of("cat", "0.6667", "1.0000", "0.8000", "2"), Arrays.asList(lines.get(1).trim().split(" +")));
        assertEquals(List.of("accuracy", "0.6667", "6"), Arrays.asList(lines.get(4).trim().split(" +")));
        assertEquals(List.of("macro", "avg", "0.7222", "0.6667", "0.6556", "6"),
                Arrays.asList(lines.get(5).trim().split(" +")));
        String withTop5 = new ClassificationMetrics(List.of("a", "b", "c", "d", "e")).table();
        assertTrue(withTop5.lines().anyMatch(l -> l.startsWith("top-5 ")), withTop5);
    }

    @Test
    void mapSerialisesToTheDocumentedJson() throws IOException {
        var mapper = new ObjectMapper();
        JsonNode json = mapper.readTree(mapper.writeValueAsString(handCase().toMap()));
        assertEquals(List.of("classes", "count", "accuracy", "macro_f1", "per_class", "confusion"),
                iterableNames(json));
        assertEquals(6, json.get("count").asLong());
        assertEquals(4.0 / 6, json.get("accuracy").asDouble(), EXACT);
        JsonNode dog = json.get("per_class").get(1);
        assertEquals("dog", dog.get("class").asText());
        assertEquals(1.0, dog.get("precision").asDouble(), EXACT);
        assertEquals(0.5, dog.get("recall").asDouble(), EXACT);
        assertEquals(2.0 / 3, dog.get("f1").asDouble(), EXACT);
        assertEquals(2, dog.get("support").asLong());
        assertEquals("[[2,0,0],[0,1,1],[1,0,1]]", json.get("confusion").toString());
        assertEquals("[\"cat\",\"dog\",\"fox\"]", json.get("classes").toString());
        var five = new ClassificationMetrics(List.of("a", "b", "c", "d", "e"));
        five.add(Tensor.zeros(1, 5), Tensor.ofLongs(new long[] {4}, 1));
        JsonNode withTop5 = mapper.readTree(mapper.writeValueAsString(five.toMap()));
        assertEquals(1.0, withTop5.get("top5").asDouble(), EXACT);
        assertFalse(json.has("top5"));
    }

    private static List<String> iterableNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static List<String> classNames(int n) {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            names.add("class" + i);
        }
        return names;
    }

    private record FixtureCase(String name, int batch, int classes, float[] logits, long[] labels, long[] confusion,
                               double[] precision, double[] recall, double[] f1, double accuracy, double top5,
                               double macroF1) {
    }

    private static List<FixtureCase> fixture() throws IOException {
        String text;
        try (InputStream in = ClassificationMetricsTest.class.getResourceAsStream("/fixtures/report/metrics.txt")) {
            if (in == null) {
                throw new IllegalStateException("missing /fixtures/report/metrics.txt; run"
                        + " models/src/test/fixtures/make_metrics_fixtures.py");
            }
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        List<String[]> lines = text.lines().filter(l -> !l.isBlank() && !l.startsWith("#"))
                .map(l -> l.split(" ")).toList();
        List<FixtureCase> cases = new ArrayList<>();
        for (int i = 0; i + 9 < lines.size(); i += 10) {
            String[] h = lines.get(i);
            if (!h[0].equals("case")) {
                throw new IllegalStateException("metrics.txt: expected a 'case' line, got " + h[0]);
            }
            String[] top5 = field(lines.get(i + 8), "top5");
            cases.add(new FixtureCase(h[1], Integer.parseInt(h[2]), Integer.parseInt(h[3]),
                    floats(field(lines.get(i + 1), "logits")), longs(field(lines.get(i + 2), "labels")),
                    longs(field(lines.get(i + 3), "confusion")), doubles(field(lines.get(i + 4), "precision")),
                    doubles(field(lines.get(i + 5), "recall")), doubles(field(lines.get(i + 6), "f1")),
                    doubles(field(lines.get(i + 7), "accuracy"))[0],
                    top5[0].equals("-") ? Double.NaN : Double.parseDouble(top5[0]),
                    doubles(field(lines.get(i + 9), "macro_f1"))[0]));
        }
        return cases;
    }

    private static String[] field(String[] line, String tag) {
        if (!line[0].equals(tag)) {
            throw new IllegalStateException("metrics.txt: expected a '" + tag + "' line, got " + line[0]);
        }
        return Arrays.copyOfRange(line, 1, line.length);
    }

    private static float[] floats(String[] f) {
        float[] v = new float[f.length];
        for (int i = 0; i < f.length; i++) {
            v[i] = Float.parseFloat(f[i]);
        }
        return v;
    }

    private static double[] doubles(String[] f) {
        return Arrays.stream(f).mapToDouble(Double::parseDouble).toArray();
    }

    private static long[] longs(String[] f) {
        return Arrays.stream(f).mapToLong(Long::parseLong).toArray();
    }
}
