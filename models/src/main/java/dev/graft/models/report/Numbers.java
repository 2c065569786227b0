package dev.graft.models.report;

import java.util.Locale;

/** Number formatting shared by the tables, the charts and the progress line: locale-independent, never throwing. */
final class Numbers {
    private Numbers() {
    }

    /** {@code digits} decimals; "nan" for NaN and "inf"/"-inf" for infinities, as Python prints them. */
    static String decimal(double v, int digits) {
        if (Double.isNaN(v)) {
            return "nan";
        }
        if (Double.isInfinite(v)) {
            return v > 0 ? "inf" : "-inf";
        }
        return String.format(Locale.ROOT, "%." + digits + "f", v);
    }

    /** Three significant digits in scientific notation, for quantities spanning decades such as learning rates. */
    static String scientific(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.2e", v) : decimal(v, 0);
    }
}
