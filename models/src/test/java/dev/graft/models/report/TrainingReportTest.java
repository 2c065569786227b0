package dev.graft.models.report;

import dev.graft.engine.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.xml.sax.SAXException;

import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.SequencedMap;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The written HTML parsed back as XML: the structure, the plotted points (one per epoch, placed by an affine,
 * decreasing map of the values) and the tables, rather than a snapshot of bytes.
 */
class TrainingReportTest {
    private static final double[] TRAIN_LOSS = {2.0, 1.5, 1.2, 1.25, 0.9};
    private static final double[] VAL_LOSS = {1.8, 1.4, 1.3, 1.35, 1.1};
    private static final double[] TRAIN_ACC = {0.4, 0.55, 0.7, 0.68, 0.8};
    private static final double[] VAL_ACC = {0.45, 0.6, 0.72, 0.7, 0.71};

    @TempDir
    Path dir;

    private static List<EpochRecord> epochs(boolean validation) {
        List<EpochRecord> epochs = new ArrayList<>();
        for (int i = 0; i < TRAIN_LOSS.length; i++) {
            epochs.add(new EpochRecord(i + 1, TRAIN_LOSS[i], TRAIN_ACC[i], validation ? VAL_LOSS[i] : Double.NaN,
                    validation ? VAL_ACC[i] : Double.NaN, 1e-3 / (i + 1), 12.5, 410.0,
                    i < 2 ? List.of("fc") : List.of("layer4", "fc")));
        }
        return epochs;
    }

    /** Labels 0,0,0,1,1 predicted 0,0,1,1,0: confusion rows [2 1], [1 1]. */
    private static ClassificationMetrics metrics() {
        var m = new ClassificationMetrics(List.of("ants", "bees & <wasps>"));
        m.add(Tensor.of(new float[] {1, 0, 1, 0, 0, 1, 0, 1, 1, 0}, 5, 2),
                Tensor.ofLongs(new long[] {0, 0, 0, 1, 1}, 5));
        return m;
    }

    private static SequencedMap<String, String> runInfo() {
        SequencedMap<String, String> info = new LinkedHashMap<>();
        info.put("model", "resnet18");
        info.put("strategy", "fine-tune <layer4> & fc");
        info.put("data", "/data/ants \"bees\"");
        return info;
    }

    @Test
    void reportHasTheRunInfoCurvesAndTables() throws Exception {
        Path html = dir.resolve("report.html");
        TrainingReport.write(html, "Run 'a' <1>", runInfo(), epochs(true), 3, metrics());
        Document doc = parse(html);
        assertEquals("Run 'a' <1>", text(doc, "title").getFirst());

        Element run = table(doc, "run");
        assertEquals(List.copyOf(runInfo().keySet()), texts(run, "th"));
        assertEquals(List.copyOf(runInfo().values()), texts(run, "td"));

        for (String chart : List.of("loss", "accuracy")) {
            Element svg = byId(doc, "svg", chart);
            List<double[]> train = points(svg, "train");
            List<double[]> val = points(svg, "validation");
            assertEquals(5, train.size(), chart);
            assertEquals(5, val.size(), chart);
            boolean loss = chart.equals("loss");
            assertAffineDecreasing(train, val, loss ? TRAIN_LOSS : TRAIN_ACC, loss ? VAL_LOSS : VAL_ACC);
            List<Element> markers = elements(svg, "line").stream().filter(e -> e.getAttribute("class").equals("marker"))
                    .toList();
            assertEquals(1, markers.size());
            assertEquals(train.get(2)[0], Double.parseDouble(markers.getFirst().getAttribute("x1")), 1e-9,
                    "the marker stands at epoch 3");
        }

        Element epochs = table(doc, "epochs");
        List<Element> rows = elements(epochs, "tr");
        assertEquals(6, rows.size());
        assertEquals("best", rows.get(3).getAttribute("class"));
        assertEquals(List.of("3", "1.2000", "0.7000", "1.3000", "0.7200", "3.33e-04", "12.5", "410.0", "layer4, fc"),
                texts(rows.get(3), "td"));

        Element perClass = table(doc, "per-class");
        List<Element> classRows = elements(perClass, "tr");
        // ants: tp 2, predicted 3, support 3; bees: tp 1, predicted 2, support 2
        assertEquals(List.of("ants", "0.6667", "0.6667", "0.6667", "3"), texts(classRows.get(1), "td"));
        assertEquals(List.of("bees & <wasps>", "0.5000", "0.5000", "0.5000", "2"), texts(classRows.get(2), "td"));
        assertEquals(List.of("accuracy", "", "", "0.6000", "5"), texts(classRows.get(3), "td"));

        Element confusion = table(doc, "confusion");
        List<Element> confusionRows = elements(confusion, "tr");
        assertEquals(List.of("true \\ predicted", "ants", "bees & <wasps>"), texts(confusionRows.get(0), "th"));
        assertEquals(List.of("2", "1"), texts(confusionRows.get(1), "td"));
        assertEquals(List.of("1", "1"), texts(confusionRows.get(2), "td"));
        assertSelfContained(html);
    }

    @Test
    void withoutValidationOnlyTrainingIsShown() throws Exception {
        Path html = dir.resolve("train-only.html");
        TrainingReport.write(html, "no val", runInfo(), epochs(false), -1, null);
        Document doc = parse(html);
        Element svg = byId(doc, "svg", "loss");
        assertEquals(List.of("train"), elements(svg, "polyline").stream().map(e -> e.getAttribute("data-series"))
                .toList());
        assertTrue(elements(svg, "line").stream().noneMatch(e -> e.getAttribute("class").equals("marker")));
        assertEquals(List.of("epoch", "train loss", "train accuracy", "lr", "seconds", "images/s", "trainable"),
                texts(elements(table(doc, "epochs"), "tr").getFirst(), "th"));
        assertTrue(text(doc, "p").contains("No validation set."));
    }

    @Test
    void aNanLossBreaksTheLine() throws Exception {
        List<EpochRecord> epochs = new ArrayList<>(epochs(true));
        EpochRecord second = epochs.get(1);
        epochs.set(1, new EpochRecord(2, Double.NaN, second.trainAccuracy(), second.valLoss(), second.valAccuracy(),
                second.lr(), second.seconds(), second.imagesPerSec(), second.trainable()));
        Path html = dir.resolve("nan.html");
        TrainingReport.write(html, "nan", runInfo(), epochs, 5, metrics());
        List<Integer> runs = elements(byId(parse(html), "svg", "loss"), "polyline").stream()
                .filter(e -> e.getAttribute("data-series").equals("train"))
                .map(e -> e.getAttribute("points").split(" ").length).toList();
        assertEquals(List.of(1, 3), runs);
    }

    @Test
    void badEpochsAreRejectedAndNothingIsWritten() {
        Path html = dir.resolve("bad.html");
        var e = assertThrows(IllegalArgumentException.class,
                () -> TrainingReport.write(html, "t", runInfo(), epochs(true), 7, metrics()));
        assertTrue(e.getMessage().contains("best epoch 7") && e.getMessage().contains("(1 to 5)"), e.getMessage());
        List<EpochRecord> shuffled = new ArrayList<>(epochs(true));
        shuffled.add(shuffled.removeFirst());
        e = assertThrows(IllegalArgumentException.class,
                () -> TrainingReport.write(html, "t", runInfo(), shuffled, 3, metrics()));
        assertTrue(e.getMessage().contains("must increase, got 5 then 1"), e.getMessage());
        assertFalse(Files.exists(html));
    }

    @Test
    void rewritingReplacesTheFileAndLeavesNoTemporaryFiles() throws Exception {
        Path html = dir.resolve("report.html");
        TrainingReport.write(html, "first", runInfo(), epochs(true), 3, metrics());
        TrainingReport.write(html, "second", runInfo(), List.of(), -1, null);
        assertEquals("second", text(parse(html), "title").getFirst());
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(html), files.toList());
        }
    }

    @Test
    void lrFindPlotsLossOnALogAxisAndMarksTheSuggestion() throws Exception {
        int n = 60;
        double[] lrs = new double[n];
        double[] losses = new double[n];
        for (int i = 0; i < n; i++) {
            lrs[i] = Math.pow(10, -6 + 7.0 * i / (n - 1));
            losses[i] = i < 50 ? 2.3 - 1.5 / (1 + Math.exp(-(i - 30) / 4.0)) : 2 * Math.exp(0.5 * (i - 50));
        }
        losses[n - 1] = Double.NaN;
        double suggested = LrSuggestion.suggest(lrs, losses);
        Path html = dir.resolve("lr.html");
        TrainingReport.writeLrFind(html, lrs, losses, suggested);
        Document doc = parse(html);
        Element svg = byId(doc, "svg", "lr-find");
        List<double[]> raw = points(svg, "loss");
        assertEquals(n - 1, raw.size(), "every finite loss is a point");
        double dx = raw.get(1)[0] - raw.get(0)[0];
        for (int i = 1; i < raw.size(); i++) {
            assertEquals(dx, raw.get(i)[0] - raw.get(i - 1)[0], 0.11, "log-spaced learning rates are evenly spaced");
        }
        Element marker = elements(svg, "line").stream().filter(e -> e.getAttribute("class").equals("marker"))
                .findFirst().orElseThrow();
        int index = Arrays.binarySearch(lrs, suggested);
        assertEquals(raw.get(index)[0], Double.parseDouble(marker.getAttribute("x1")), 0.051);
        List<String> tickLabels = texts(svg, "text");
        assertTrue(tickLabels.containsAll(List.of("1e-6", "1e-3", "1")), tickLabels.toString());
        assertTrue(text(doc, "b").contains(Numbers.scientific(suggested)));
        assertSelfContained(html);

        var e = assertThrows(IllegalArgumentException.class,
                () -> TrainingReport.writeLrFind(dir.resolve("x.html"), new double[] {1, 2}, new double[] {1}, 1));
        assertTrue(e.getMessage().contains("2 learning rates but 1 losses"), e.getMessage());
    }

    /** The points lie on y = a + b·value with b < 0 (larger values higher up), and x grows with the epoch. */
    private static void assertAffineDecreasing(List<double[]> train, List<double[]> val, double[] trainValues,
                                               double[] valValues) {
        double b = (train.get(0)[1] - train.get(4)[1]) / (trainValues[0] - trainValues[4]);
        double a = train.get(0)[1] - b * trainValues[0];
        assertTrue(b < 0, "slope " + b);
        for (int i = 0; i < 5; i++) {
            assertEquals(a + b * trainValues[i], train.get(i)[1], 0.1, "train " + i);
            assertEquals(a + b * valValues[i], val.get(i)[1], 0.1, "validation " + i);
            assertEquals(train.get(i)[0], val.get(i)[0]);
            if (i > 0) {
                assertTrue(train.get(i)[0] > train.get(i - 1)[0]);
                assertEquals(train.get(1)[0] - train.get(0)[0], train.get(i)[0] - train.get(i - 1)[0], 0.11);
            }
        }
    }

    private static void assertSelfContained(Path html) throws IOException {
        String page = Files.readString(html, StandardCharsets.UTF_8);
        for (String external : List.of("<script", "<link", "<img", "src=", "@import", "@font-face")) {
            assertFalse(page.contains(external), external);
        }
        int addresses = page.split("http", -1).length - 1;
        int namespaces = page.split("xmlns=\"http://www.w3.org/2000/svg\"", -1).length - 1;
        assertEquals(addresses, namespaces, "the only address is the SVG namespace");
    }

    private static Document parse(Path html) throws IOException, ParserConfigurationException, SAXException {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
        factory.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
        return factory.newDocumentBuilder().parse(html.toFile());
    }

    private static List<Element> elements(Document doc, String tag) {
        return list(doc.getElementsByTagName(tag));
    }

    private static List<Element> elements(Element parent, String tag) {
        return list(parent.getElementsByTagName(tag));
    }

    private static List<Element> list(NodeList nodes) {
        List<Element> list = new ArrayList<>();
        for (int i = 0; i < nodes.getLength(); i++) {
            list.add((Element) nodes.item(i));
        }
        return list;
    }

    private static List<String> text(Document doc, String tag) {
        return elements(doc, tag).stream().map(Element::getTextContent).toList();
    }

    private static List<String> texts(Element parent, String tag) {
        return elements(parent, tag).stream().map(Element::getTextContent).toList();
    }

    private static Element table(Document doc, String cssClass) {
        return elements(doc, "table").stream().filter(e -> e.getAttribute("class").equals(cssClass)).findFirst()
                .orElseThrow(() -> new AssertionError("no table." + cssClass));
    }

    private static Element byId(Document doc, String tag, String id) {
        return elements(doc, tag).stream().filter(e -> e.getAttribute("id").equals(id)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + tag + "#" + id));
    }

    /** The points of a series' polylines, in order: [x, y] each. */
    private static List<double[]> points(Element svg, String series) {
        List<double[]> points = new ArrayList<>();
        for (Element line : elements(svg, "polyline")) {
            if (line.getAttribute("data-series").equals(series)) {
                for (String p : line.getAttribute("points").split(" ")) {
                    String[] xy = p.split(",");
                    points.add(new double[] {Double.parseDouble(xy[0]), Double.parseDouble(xy[1])});
                }
            }
        }
        return points;
    }
}
