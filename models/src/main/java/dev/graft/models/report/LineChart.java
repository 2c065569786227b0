package dev.graft.models.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * An inline SVG line chart: a frame with ticks and grid lines, axis labels, a legend, one polyline per run of
 * consecutive finite points of each series, and labelled vertical markers. The x axis is linear with integer
 * ticks (epochs) or base-10 logarithmic (learning rates); the y axis is linear and padded to whole ticks. Lines
 * are clipped to the frame, so a y range set with {@link #yRange} may cut off outliers.
 */
final class LineChart {
    static final String BLUE = "#1f77b4";
    static final String ORANGE = "#ff7f0e";
    static final String LIGHT_BLUE = "#a6c8e3";
    static final String RED = "#d62728";

    private static final int WIDTH = 520;
    private static final int HEIGHT = 300;
    private static final int LEFT = 64;
    private static final int RIGHT = 20;
    private static final int TOP = 34;
    private static final int BOTTOM = 46;
    /** Series with more points than this get no dots, which would hide the line. */
    private static final int MAX_DOTS = 60;

    private record Series(String name, String color, double width, double[] x, double[] y) {
    }

    private record Marker(double x, String label, String color) {
    }

    private final String id;
    private final String xLabel;
    private final String yLabel;
    private final boolean logX;
    private final List<Series> series = new ArrayList<>();
    private final List<Marker> markers = new ArrayList<>();
    private double yLow = Double.NaN;
    private double yHigh = Double.NaN;

    /** {@code id} must be unique within the page: it names the chart's clip path. */
    LineChart(String id, String xLabel, String yLabel, boolean logX) {
        this.id = id;
        this.xLabel = xLabel;
        this.yLabel = yLabel;
        this.logX = logX;
    }

    LineChart series(String name, String color, double width, double[] x, double[] y) {
        if (x.length != y.length) {
            throw new IllegalArgumentException("chart " + id + ": series '" + name + "' has " + x.length
                    + " x values but " + y.length + " y values");
        }
        series.add(new Series(name, color, width, x.clone(), y.clone()));
        return this;
    }

    LineChart marker(double x, String label, String color) {
        markers.add(new Marker(x, label, color));
        return this;
    }

    /** Fixes the y range (before padding to ticks) instead of fitting it to the data. */
    LineChart yRange(double low, double high) {
        yLow = low;
        yHigh = high;
        return this;
    }

    private boolean plottable(double x, double y) {
        return Double.isFinite(x) && Double.isFinite(y) && (!logX || x > 0);
    }

    private double xCoordinate(double x) {
        return logX ? Math.log10(x) : x;
    }

    String svg() {
        double xMin = Double.POSITIVE_INFINITY;
        double xMax = Double.NEGATIVE_INFINITY;
        double yMin = Double.POSITIVE_INFINITY;
        double yMax = Double.NEGATIVE_INFINITY;
        for (Series s : series) {
            for (int i = 0; i < s.x.length; i++) {
                if (plottable(s.x[i], s.y[i])) {
                    xMin = Math.min(xMin, xCoordinate(s.x[i]));
                    xMax = Math.max(xMax, xCoordinate(s.x[i]));
                    yMin = Math.min(yMin, s.y[i]);
                    yMax = Math.max(yMax, s.y[i]);
                }
            }
        }
        if (!Double.isNaN(yLow)) {
            yMin = yLow;
            yMax = yHigh;
        }
        if (xMin > xMax) { // nothing to plot
            xMin = logX ? -1 : 0;
            xMax = 1;
            yMin = 0;
            yMax = 1;
        }
        // a little room left and right, so the first and last points do not sit on the frame
        double xPad = xMax == xMin ? (logX ? 0.5 : 1) : 0.03 * (xMax - xMin);
        xMin -= xPad;
        xMax += xPad;
        if (yMax == yMin) {
            double pad = yMin == 0 ? 1 : Math.abs(yMin) * 0.1;
            yMin -= pad;
            yMax += pad;
        }
        double yStep = niceStep((yMax - yMin) / 5);
        Axis y = new Axis(Math.floor(yMin / yStep) * yStep, Math.ceil(yMax / yStep) * yStep, yStep);
        Axis x = new Axis(xMin, xMax, logX ? Math.ceil((xMax - xMin) / 12) : Math.max(1, niceStep((xMax - xMin) / 6)));
        return render(x, y);
    }

    private record Axis(double low, double high, double step) {
    }

    /** 1, 2 or 5 times a power of ten, the closest at or above {@code rough}. */
    static double niceStep(double rough) {
        double power = Math.pow(10, Math.floor(Math.log10(rough)));
        double fraction = rough / power;
        double nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10;
        return nice * power;
    }

    private String render(Axis x, Axis y) {
        int plotW = WIDTH - LEFT - RIGHT;
        int plotH = HEIGHT - TOP - BOTTOM;
        int bottom = TOP + plotH;
        StringBuilder sb = new StringBuilder();
        sb.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(WIDTH).append("\" height=\"")
                .append(HEIGHT).append("\" viewBox=\"0 0 ").append(WIDTH).append(' ').append(HEIGHT)
                .append("\" id=\"").append(Html.escape(id)).append("\">\n");
        sb.append("<defs><clipPath id=\"").append(Html.escape(id)).append("-clip\"><rect x=\"").append(LEFT)
                .append("\" y=\"").append(TOP).append("\" width=\"").append(plotW).append("\" height=\"")
                .append(plotH).append("\"/></clipPath></defs>\n");
        sb.append("<rect x=\"").append(LEFT).append("\" y=\"").append(TOP).append("\" width=\"").append(plotW)
                .append("\" height=\"").append(plotH).append("\" fill=\"#fff\" stroke=\"#999\"/>\n");
        for (double t : ticks(y.low, y.high, y.step)) {
            String py = px(TOP + (1 - (t - y.low) / (y.high - y.low)) * plotH);
            sb.append("<line x1=\"").append(LEFT).append("\" x2=\"").append(LEFT + plotW).append("\" y1=\"")
                    .append(py).append("\" y2=\"").append(py).append("\" stroke=\"#eee\"/>");
            sb.append("<text x=\"").append(LEFT - 6).append("\" y=\"").append(py)
                    .append("\" text-anchor=\"end\" dominant-baseline=\"middle\">")
                    .append(tickLabel(t, y.step)).append("</text>\n");
        }
        for (double t : xTicks(x)) {
            String px = px(LEFT + (t - x.low) / (x.high - x.low) * plotW);
            sb.append("<line x1=\"").append(px).append("\" x2=\"").append(px).append("\" y1=\"").append(bottom)
                    .append("\" y2=\"").append(bottom + 5).append("\" stroke=\"#999\"/>");
            sb.append("<text x=\"").append(px).append("\" y=\"").append(bottom + 17)
                    .append("\" text-anchor=\"middle\">").append(logX ? logLabel(t) : tickLabel(t, x.step))
                    .append("</text>\n");
        }
        sb.append("<text x=\"").append(LEFT + plotW / 2).append("\" y=\"").append(HEIGHT - 8)
                .append("\" text-anchor=\"middle\">").append(Html.escape(xLabel)).append("</text>\n");
        sb.append("<text x=\"14\" y=\"").append(TOP + plotH / 2)
                .append("\" text-anchor=\"middle\" transform=\"rotate(-90 14 ")
                .append(TOP + plotH / 2).append(")\">").append(Html.escape(yLabel)).append("</text>\n");
        sb.append("<g clip-path=\"url(#").append(Html.escape(id)).append("-clip)\">\n");
        for (Series s : series) {
            appendSeries(sb, s, x, y, plotW, plotH);
        }
        sb.append("</g>\n");
        for (Marker m : markers) {
            if (!plottable(m.x, 0)) {
                continue;
            }
            double mx = LEFT + (xCoordinate(m.x) - x.low) / (x.high - x.low) * plotW;
            boolean leftSide = mx > LEFT + plotW * 0.7;
            sb.append("<line class=\"marker\" x1=\"").append(px(mx)).append("\" x2=\"").append(px(mx))
                    .append("\" y1=\"").append(TOP).append("\" y2=\"").append(bottom).append("\" stroke=\"")
                    .append(m.color).append("\" stroke-dasharray=\"4 3\"/>");
            sb.append("<text x=\"").append(px(mx + (leftSide ? -4 : 4))).append("\" y=\"").append(TOP + 12)
                    .append("\" text-anchor=\"").append(leftSide ? "end" : "start").append("\" style=\"fill: ")
                    .append(m.color).append("\">").append(Html.escape(m.label)).append("</text>\n");
        }
        int legendX = LEFT;
        for (Series s : series) {
            sb.append("<line x1=\"").append(legendX).append("\" x2=\"").append(legendX + 18)
                    .append("\" y1=\"14\" y2=\"14\" stroke=\"")
                    .append(s.color).append("\" stroke-width=\"").append(s.width).append("\"/>");
            sb.append("<text x=\"").append(legendX + 23).append("\" y=\"14\" dominant-baseline=\"middle\">")
                    .append(Html.escape(s.name)).append("</text>\n");
            legendX += 40 + 7 * s.name.length();
        }
        return sb.append("</svg>\n").toString();
    }

    private void appendSeries(StringBuilder sb, Series s, Axis x, Axis y, int plotW, int plotH) {
        List<String> run = new ArrayList<>();
        StringBuilder dots = new StringBuilder();
        int dotCount = 0;
        for (int i = 0; i <= s.x.length; i++) {
            if (i < s.x.length && plottable(s.x[i], s.y[i])) {
                String px = px(LEFT + (xCoordinate(s.x[i]) - x.low) / (x.high - x.low) * plotW);
                String py = px(TOP + (1 - (s.y[i] - y.low) / (y.high - y.low)) * plotH);
                run.add(px + "," + py);
                dotCount++;
                dots.append("<circle cx=\"").append(px).append("\" cy=\"").append(py).append("\" r=\"2.5\" fill=\"")
                        .append(s.color).append("\"><title>").append(Html.escape(s.name)).append(' ')
                        .append(logX ? Numbers.scientific(s.x[i])
                                : Numbers.decimal(s.x[i], s.x[i] == Math.rint(s.x[i]) ? 0 : 3))
                        .append(": ").append(Numbers.decimal(s.y[i], 4)).append("</title></circle>");
            } else if (!run.isEmpty()) {
                sb.append("<polyline class=\"series\" data-series=\"").append(Html.escape(s.name))
                        .append("\" fill=\"none\" stroke=\"").append(s.color).append("\" stroke-width=\"")
                        .append(s.width).append("\" stroke-linejoin=\"round\" points=\"")
                        .append(String.join(" ", run)).append("\"/>\n");
                run.clear();
            }
        }
        if (dotCount <= MAX_DOTS) {
            sb.append(dots).append('\n');
        }
    }

    private List<Double> xTicks(Axis x) {
        if (!logX) {
            return ticks(x.low, x.high, x.step);
        }
        List<Double> ticks = ticks(x.low, x.high, x.step);
        if (ticks.size() >= 2) {
            return ticks;
        }
        // less than a decade: label 1, 2 and 5 times the powers of ten too
        List<Double> fine = new ArrayList<>();
        for (double d = Math.floor(x.low); d <= Math.ceil(x.high); d++) {
            for (double f : new double[] {1, 2, 5}) {
                double t = d + Math.log10(f);
                if (t >= x.low - 1e-9 && t <= x.high + 1e-9) {
                    fine.add(t);
                }
            }
        }
        return fine;
    }

    /** Multiples of {@code step} in [low, high], computed from integers so no error accumulates. */
    private static List<Double> ticks(double low, double high, double step) {
        List<Double> ticks = new ArrayList<>();
        for (long k = (long) Math.ceil(low / step - 1e-9); k * step <= high + step * 1e-9; k++) {
            ticks.add(k * step);
        }
        return ticks;
    }

    private static String tickLabel(double value, double step) {
        int digits = Math.max(0, (int) -Math.floor(Math.log10(step) + 1e-9));
        return String.format(Locale.ROOT, "%." + digits + "f", value == 0 ? 0.0 : value);
    }

    /** A tick at log10(value) = t: "1e-3", "2e-3", or "1" and "10" near 1. */
    private static String logLabel(double t) {
        int exponent = (int) Math.floor(t + 1e-9);
        long mantissa = Math.round(Math.pow(10, t - exponent));
        if (exponent >= 0 && exponent <= 2) {
            return Long.toString(mantissa * (long) Math.pow(10, exponent));
        }
        return mantissa + "e" + exponent;
    }

    private static String px(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }
}
