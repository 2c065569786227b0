package dev.graft.engine.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Training-mode batch normalisation over contiguous NCHW arrays viewed as {@code [n, c, hw]}: statistics are
 * taken per channel over the {@code n*hw} values of that channel, with PyTorch's semantics. Every method exists
 * for {@code float[]} (F32) and {@code double[]} (F64). The F64 versions are the plain reference. The F32 versions
 * run Vector API loops: sums go through float lanes over blocks of a row and then into double accumulators, so the
 * statistics are double; the normalise and gradient passes compute in float. Work is split over channels, so
 * each thread owns whole channels of every output.
 */
public final class BatchNormKernels {
    /** Roughly how many elements one task should touch before splitting pays for itself. */
    private static final int GRAIN_ELEMENTS = 1 << 14;
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int V = S.length();
    /**
     * Elements summed in float lanes before the lanes' total moves into a double: 64 per lane with AVX-512, which
     * keeps a lane's rounding error near 64 float ulps at worst while the double carries the long sums.
     */
    private static final int BLOCK = 1024;

    private BatchNormKernels() {
    }

    /**
     * Normalises {@code x} with the batch mean and biased batch variance, then applies {@code weight} and
     * {@code bias} (null means 1 and 0). Writes the mean and {@code 1/sqrt(var + eps)} per channel to
     * {@code saveMean} and {@code saveInvStd} for {@link #backward}. Non-null running statistics are updated in
     * place as {@code (1 - momentum)·running + momentum·batch}, using the unbiased variance as PyTorch does.
     * {@code out} may be {@code x}.
     */
    public static void trainForward(float[] x, int n, int c, int hw, float[] weight, float[] bias,
            float[] runningMean, float[] runningVar, double momentum, double eps, float[] out, float[] saveMean,
            float[] saveInvStd) {
        checkForward(x.length, out.length, n, c, hw);
        int count = n * hw;
        int batchStride = c * hw;
        Parallel.forEach(c, grain(count), ch -> {
            double[] raw = new double[2];
            for (int b = 0, base = ch * hw; b < n; b++, base += batchStride) {
                addSums(x, 0, x, 0, base, hw, raw);
            }
            // A second pass over the values centred on the float nearest the first estimate of the mean avoids
            // the cancellation of E[x^2] - E[x]^2, and its Σd refines the mean (whose float-lane sum of large
            // values is less exact than a sum of centred ones); -(Σd)²/count takes the shift out of Σd².
            float shift = (float) (raw[0] / count);
            double[] moments = new double[2];
            for (int b = 0, base = ch * hw; b < n; b++, base += batchStride) {
                addSums(x, shift, x, shift, base, hw, moments);
            }
            double mean = shift + moments[0] / count;
            double var = Math.max(0, (moments[1] - moments[0] * moments[0] / count) / count);
            double invStd = 1.0 / Math.sqrt(var + eps);
            double scale = weight == null ? invStd : weight[ch] * invStd;
            // out = (x - mean)·scale + beta = (x - shift)·scale + (beta - (mean - shift)·scale).
            float fScale = (float) scale;
            float offset = (float) ((bias == null ? 0 : bias[ch]) - (mean - shift) * scale);
            for (int b = 0, base = ch * hw; b < n; b++, base += batchStride) {
                int i = base;
                for (int end = base + S.loopBound(hw); i < end; i += V) {
                    FloatVector.fromArray(S, x, i).sub(shift).mul(fScale).add(offset).intoArray(out, i);
                }
                for (int end = base + hw; i < end; i++) {
                    out[i] = (x[i] - shift) * fScale + offset;
                }
            }
            saveMean[ch] = (float) mean;
            saveInvStd[ch] = (float) invStd;
            if (runningMean != null) {
                runningMean[ch] = (float) ((1 - momentum) * runningMean[ch] + momentum * mean);
            }
            if (runningVar != null) {
                runningVar[ch] = (float) ((1 - momentum) * runningVar[ch] + momentum * var * count / (count - 1));
            }
        });
    }

    /** F64 overload of {@code trainForward}, with the same contract. */
    public static void trainForward(double[] x, int n, int c, int hw, double[] weight, double[] bias,
            double[] runningMean, double[] runningVar, double momentum, double eps, double[] out, double[] saveMean,
            double[] saveInvStd) {
        checkForward(x.length, out.length, n, c, hw);
        int count = n * hw;
        int batchStride = c * hw;
        Parallel.forEach(c, grain(count), ch -> {
            double sum = 0;
            for (int b = 0, base = ch * hw; b < n; b++, base += batchStride) {
                for (int i = base, end = base + hw; i < end; i++) {
                    sum += x[i];
                }
            }
            double mean = sum / count;
            double squares = 0;
            for (int b = 0, base = ch * hw; b < n; b++, base += batchStride) {
                for (int i = base, end = base + hw; i < end; i++) {
                    double d = x[i] - mean;
                    squares += d * d;
                }
            }
            double var = squares / count;
            double invStd = 1.0 / Math.sqrt(var + eps);
            double scale = weight == null ? invStd : weight[ch] * invStd;
            double shift = bias == null ? 0 : bias[ch];
            for (int b = 0, base = ch * hw; b < n; b++, base += batchStride) {
                for (int i = base, end = base + hw; i < end; i++) {
                    out[i] = (x[i] - mean) * scale + shift;
                }
            }
            saveMean[ch] = mean;
            saveInvStd[ch] = invStd;
            if (runningMean != null) {
                runningMean[ch] = (1 - momentum) * runningMean[ch] + momentum * mean;
            }
            if (runningVar != null) {
                runningVar[ch] = (1 - momentum) * runningVar[ch] + momentum * var * count / (count - 1);
            }
        });
    }

    /**
     * Training-mode gradients, which flow through the batch mean and variance as well as the direct path.
     * With {@code xhat = (x - mean)·invStd}: {@code gradBias = Σ dy}, {@code gradWeight = Σ dy·xhat} and
     * {@code gradInput = weight·invStd·(dy - mean(dy) - xhat·mean(dy·xhat))}. Each output array may be null
     * when that gradient is not wanted; {@code gradInput} may be {@code gradOut}.
     */
    public static void backward(float[] gradOut, float[] x, int n, int c, int hw, float[] weight, float[] saveMean,
            float[] saveInvStd, float[] gradInput, float[] gradWeight, float[] gradBias) {
        checkBackward(gradOut.length, x.length, gradInput == null ? -1 : gradInput.length, n, c, hw);
        if (gradInput == null && gradWeight == null && gradBias == null) {
            return;
        }
        int count = n * hw;
        int batchStride = c * hw;
        Parallel.forEach(c, grain(count), ch -> {
            float mean = saveMean[ch];
            double invStd = saveInvStd[ch];
            double[] sums = new double[2];
            for (int b = 0, base = ch * hw; b < n; b++, base += batchStride) {
                addSums(gradOut, 0, x, mean, base, hw, sums);
            }
            double sumDy = sums[0];
            double dotCentred = sums[1];
            if (gradBias != null) {
                gradBias[ch] = (float) sumDy;
            }
            if (gradWeight != null) {
                gradWeight[ch] = (float) (dotCentred * invStd);
            }
            if (gradInput != null) {
                double scale = weight == null ? invStd : weight[ch] * invStd;
                float meanDy = (float) (sumDy / count);
                float centredScale = (float) (dotCentred * invStd * invStd / count);
                float fScale = (float) scale;
                for (int b = 0, base = ch * hw; b < n; b++, base += batchStride) {
                    int i = base;
                    for (int end = base + S.loopBound(hw); i < end; i += V) {
                        FloatVector centred = FloatVector.fromArray(S, x, i).sub(mean);
                        FloatVector.fromArray(S, gradOut, i).sub(meanDy).sub(centred.mul(centredScale)).mul(fScale)
                                .intoArray(gradInput, i);
                    }
                    for (int end = base + hw; i < end; i++) {
                        gradInput[i] = (gradOut[i] - meanDy - (x[i] - mean) * centredScale) * fScale;
                    }
                }
            }
        });
    }

    /** F64 overload of {@code backward}, with the same contract. */
    public static void backward(double[] gradOut, double[] x, int n, int c, int hw, double[] weight,
            double[] saveMean, double[] saveInvStd, double[] gradInput, double[] gradWeight, double[] gradBias) {
        checkBackward(gradOut.length, x.length, gradInput == null ? -1 : gradInput.length, n, c, hw);
        if (gradInput == null && gradWeight == null && gradBias == null) {
            return;
        }
        int count = n * hw;
        int batchStride = c * hw;
        Parallel.forEach(c, grain(count), ch -> {
            double mean = saveMean[ch];
            double invStd = saveInvStd[ch];
            double sumDy = 0;
            double dotCentred = 0;
            for (int b = 0, base = ch * hw; b < n; b++, base += batchStride) {
                for (int i = base, end = base + hw; i < end; i++) {
                    double dy = gradOut[i];
                    sumDy += dy;
                    dotCentred += dy * (x[i] - mean);
                }
            }
            if (gradBias != null) {
                gradBias[ch] = sumDy;
            }
            if (gradWeight != null) {
                gradWeight[ch] = dotCentred * invStd;
            }
            if (gradInput != null) {
                double meanDy = sumDy / count;
                double centredScale = dotCentred * invStd * invStd / count;
                double scale = weight == null ? invStd : weight[ch] * invStd;
                for (int b = 0, base = ch * hw; b < n; b++, base += batchStride) {
                    for (int i = base, end = base + hw; i < end; i++) {
                        gradInput[i] = (gradOut[i] - meanDy - (x[i] - mean) * centredScale) * scale;
                    }
                }
            }
        });
    }

    /**
     * Over {@code [from, from + n)}, adds Σ(a - aShift) to {@code sums[0]} and Σ(a - aShift)·(b - bShift) to
     * {@code sums[1]}: float lanes over blocks of {@link #BLOCK}, each block's totals added in double.
     */
    private static void addSums(float[] a, float aShift, float[] b, float bShift, int from, int n, double[] sums) {
        for (int start = from, stop = from + n; start < stop; start += BLOCK) {
            int end = Math.min(stop, start + BLOCK);
            int i = start;
            FloatVector s1 = FloatVector.zero(S);
            FloatVector s2 = FloatVector.zero(S);
            for (int vEnd = start + S.loopBound(end - start); i < vEnd; i += V) {
                FloatVector u = FloatVector.fromArray(S, a, i).sub(aShift);
                s1 = s1.add(u);
                s2 = u.fma(FloatVector.fromArray(S, b, i).sub(bShift), s2);
            }
            float t1 = 0;
            float t2 = 0;
            for (; i < end; i++) {
                float u = a[i] - aShift;
                t1 += u;
                t2 += u * (b[i] - bShift);
            }
            sums[0] += laneSum(s1) + t1;
            sums[1] += laneSum(s2) + t2;
        }
    }

    /**
     * The lanes added in double in lane order. Not {@code reduceLanes(ADD)}: its order is unspecified, and the
     * interpreter and the JIT-compiled code do differ, so results would change with the JIT tier (a resumed training
     * run would then not reproduce the uninterrupted one bit for bit).
     */
    private static double laneSum(FloatVector v) {
        double s = 0;
        for (int l = 0; l < V; l++) {
            s += v.lane(l);
        }
        return s;
    }

    private static void checkForward(int inputLength, int outLength, int n, int c, int hw) {
        checkSizes("batch_norm", n, c, hw);
        if (n * hw == 1) {
            // The kernel sees only N, C and the flattened spatial size, not the caller's rank.
            throw new IllegalArgumentException("batch_norm: expected more than 1 value per channel when training, "
                    + "got input of size [" + n + ", " + c + ", " + hw + "] (spatial dimensions flattened)");
        }
        requireLength("batch_norm", "input", inputLength, (long) n * c * hw);
        requireLength("batch_norm", "out", outLength, (long) n * c * hw);
    }

    private static void checkBackward(int gradOutLength, int inputLength, int gradInputLength, int n, int c, int hw) {
        checkSizes("batch_norm_backward", n, c, hw);
        long numel = (long) n * c * hw;
        requireLength("batch_norm_backward", "gradOut", gradOutLength, numel);
        requireLength("batch_norm_backward", "input", inputLength, numel);
        if (gradInputLength >= 0) {
            requireLength("batch_norm_backward", "gradInput", gradInputLength, numel);
        }
    }

    private static void checkSizes(String op, int n, int c, int hw) {
        if (n < 1 || c < 1 || hw < 1) {
            throw new IllegalArgumentException(op + ": sizes must be positive, got n=" + n + ", c=" + c + ", hw=" + hw);
        }
    }

    private static void requireLength(String op, String what, int length, long expected) {
        if (length != expected) {
            throw new IllegalArgumentException(op + ": " + what + " has " + length + " elements, expected " + expected);
        }
    }

    private static int grain(int elementsPerItem) {
        return Math.max(1, GRAIN_ELEMENTS / Math.max(1, elementsPerItem));
    }
}
