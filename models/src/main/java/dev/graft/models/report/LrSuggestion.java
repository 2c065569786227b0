package dev.graft.models.report;

/**
 * The learning rate an lr-range test suggests, by fastai's "steep" rule ({@code fastai.callback.schedule.steep},
 * after Smith, "Cyclical Learning Rates for Training Neural Networks", 2017, and fastai's {@code LRFinder}):
 *
 * <ol>
 *   <li>smooth the losses with the exponential moving average fastai's {@code Recorder} keeps (beta 0.98, bias
 *       corrected, see {@link #smooth});</li>
 *   <li>drop the points from the first one where the smoothed loss exceeds 4 × its minimum so far (fastai's
 *       {@code stop_div} test), or is not finite, on;</li>
 *   <li>skip the first tenth of what is left, where the average rests on few samples (fastai drops
 *       {@code num_it // 10} points there too);</li>
 *   <li>take the forward differences of the smoothed loss against ln(lr) and return the learning rate at the
 *       start of the most negative one: where the loss falls fastest.</li>
 * </ol>
 * fastai also trims the last 5 points, which its test runs into divergence; here the divergence cut does that.
 */
public final class LrSuggestion {
    /** fastai's {@code Recorder} smoothing. */
    public static final double BETA = 0.98;
    /** fastai's {@code LRFinder} stops once the smoothed loss exceeds this multiple of the best one. */
    static final double DIVERGENCE = 4;
    /** Fewer points than this before divergence make no curve to read a slope from. */
    static final int MIN_POINTS = 5;

    private LrSuggestion() {
    }

    /**
     * The bias-corrected exponential moving average:
     * m<sub>i</sub> = beta·m<sub>i−1</sub> + (1 − beta)·x<sub>i</sub> with m<sub>−1</sub> = 0, and
     * s<sub>i</sub> = m<sub>i</sub> / (1 − beta<sup>i+1</sup>). A constant input stays constant; a NaN poisons every
     * later value.
     *
     * @throws IllegalArgumentException when beta is outside [0, 1)
     */
    public static double[] smooth(double[] losses, double beta) {
        if (!(beta >= 0 && beta < 1)) {
            throw new IllegalArgumentException("lr-find: smoothing beta must be in [0, 1), got " + beta);
        }
        double[] s = new double[losses.length];
        double m = 0;
        double power = 1;
        for (int i = 0; i < losses.length; i++) {
            m = beta * m + (1 - beta) * losses[i];
            power *= beta;
            s[i] = m / (1 - power);
        }
        return s;
    }

    /**
     * The suggested learning rate for losses recorded at increasing learning rates {@code lrs}.
     *
     * @throws IllegalArgumentException when the arrays differ in length, a learning rate is not positive and
     *                                  finite or does not increase, or fewer than 5 points precede divergence
     */
    public static double suggest(double[] lrs, double[] losses) {
        if (lrs.length != losses.length) {
            throw new IllegalArgumentException("lr-find: " + lrs.length + " learning rates but " + losses.length
                    + " losses");
        }
        checkLearningRates(lrs);
        double[] s = smooth(losses, BETA);
        int end = usable(s);
        if (end < MIN_POINTS) {
            throw new IllegalArgumentException("lr-find: need at least " + MIN_POINTS
                    + " points before the loss diverges, got " + end + " of " + losses.length);
        }
        int best = -1;
        double steepest = Double.POSITIVE_INFINITY;
        for (int i = end / 10; i + 1 < end; i++) {
            double slope = (s[i + 1] - s[i]) / (Math.log(lrs[i + 1]) - Math.log(lrs[i]));
            if (slope < steepest) {
                steepest = slope;
                best = i;
            }
        }
        return lrs[best];
    }

    static void checkLearningRates(double[] lrs) {
        for (int i = 0; i < lrs.length; i++) {
            if (!(lrs[i] > 0 && lrs[i] < Double.POSITIVE_INFINITY)) {
                throw new IllegalArgumentException("lr-find: learning rate " + i + " must be positive and finite, got "
                        + lrs[i]);
            }
            if (i > 0 && lrs[i] <= lrs[i - 1]) {
                throw new IllegalArgumentException("lr-find: learning rates must increase, got " + lrs[i - 1]
                        + " then " + lrs[i] + " at " + i);
            }
        }
    }

    /** How many leading smoothed losses come before divergence: above 4 × the minimum so far, or not finite. */
    static int usable(double[] smoothed) {
        double min = Double.POSITIVE_INFINITY;
        for (int i = 0; i < smoothed.length; i++) {
            if (!Double.isFinite(smoothed[i]) || smoothed[i] > DIVERGENCE * min) {
                return i;
            }
            min = Math.min(min, smoothed[i]);
        }
        return smoothed.length;
    }
}
