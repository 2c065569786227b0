package dev.graft.models.report;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LineChartTest {
    private static final Pattern TEXT = Pattern.compile("<text[^>]*>([^<]*)</text>");

    private static List<String> labels(String svg) {
        List<String> labels = new ArrayList<>();
        Matcher m = TEXT.matcher(svg);
        while (m.find()) {
            labels.add(m.group(1));
        }
        return labels;
    }

    @Test
    void niceStepsAreOneTwoOrFiveTimesAPowerOfTen() {
        assertEquals(1, LineChart.niceStep(0.7));
        assertEquals(2, LineChart.niceStep(1.3));
        assertEquals(5, LineChart.niceStep(2.01));
        assertEquals(10, LineChart.niceStep(7));
        assertEquals(0.05, LineChart.niceStep(0.031), 1e-15);
        assertEquals(200, LineChart.niceStep(101), 1e-12);
    }

    @Test
    void linearTicksCoverTheDataInWholeSteps() {
        String svg = new LineChart("c", "epoch", "loss", false)
                .series("train", LineChart.BLUE, 2, new double[] {1, 2, 3}, new double[] {0.93, 0.71, 0.52}).svg();
        List<String> labels = labels(svg);
        // y: 0.41 / 5 rounds up to a step of 0.1, padded out to 0.5 .. 1.0; x: integer epochs only
        assertTrue(labels.containsAll(List.of("0.5", "0.6", "0.7", "0.8", "0.9", "1.0", "1", "2", "3")),
                labels.toString());
        assertFalse(labels.contains("0.4") || labels.contains("1.1") || labels.contains("1.5"), labels.toString());
    }

    @Test
    void logTicksUseDecadesOrFinerStepsWithinOne() {
        double[] wide = {1e-7, 1e-4, 1e-1, 10, 1000};
        List<String> decades = labels(new LineChart("w", "lr", "loss", true)
                .series("loss", LineChart.BLUE, 2, wide, new double[] {1, 2, 3, 4, 5}).svg());
        assertTrue(decades.containsAll(List.of("1e-7", "1e-6", "1e-1", "1", "10", "100", "1e3")), decades.toString());
        List<String> narrow = labels(new LineChart("n", "lr", "loss", true)
                .series("loss", LineChart.BLUE, 2, new double[] {1.5e-3, 6e-3}, new double[] {1, 2}).svg());
        assertTrue(narrow.containsAll(List.of("2e-3", "5e-3")), narrow.toString());
    }

    @Test
    void nothingPlottableStillRenders() {
        String svg = new LineChart("e", "x", "y", true)
                .series("s", LineChart.BLUE, 2, new double[] {-1, 0, Double.NaN}, new double[] {1, 2, 3}).svg();
        assertFalse(svg.contains("<polyline") || svg.contains("NaN"), svg);
        assertThrows(IllegalArgumentException.class,
                () -> new LineChart("e", "x", "y", false).series("s", "#000", 1, new double[2], new double[3]));
    }
}
