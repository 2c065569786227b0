package dev.graft.models.train;

import dev.graft.engine.NoGrad;
import dev.graft.engine.Tensor;
import dev.graft.models.Preprocessing;

import java.util.ArrayList;
import java.util.List;

/**
 * Adapts a pretrained first convolution to another number of input channels, as timm's
 * {@code adapt_input_conv} does: for one channel the RGB kernels are summed (a grey image then gives the
 * response the RGB network gives to the same grey in all three channels); for K ≠ 1, 3 the RGB kernels are
 * repeated cyclically over the K channels and scaled by 3/K, keeping the expected activation. The
 * normalisation follows: one channel takes the mean of the RGB means and stds, K channels repeat them
 * cyclically.
 */
public final class InputChannels {
    private InputChannels() {
    }

    /** The kernel {@code [out, 3, kh, kw]} adapted to {@code k} input channels. */
    static Tensor adaptKernel(Tensor weight, int k) {
        int[] s = weight.shape();
        if (s.length != 4 || k < 1) {
            throw new IllegalArgumentException("adapt input conv: need a [out, in, kh, kw] kernel and k >= 1, got "
                    + java.util.Arrays.toString(s) + " and " + k);
        }
        try (var _ = NoGrad.enter()) {
            if (k == s[1]) {
                return weight.detach();
            }
            if (k == 1) {
                return weight.sum(1, true).contiguous();
            }
            Tensor[] parts = new Tensor[k];
            for (int c = 0; c < k; c++) {
                parts[c] = weight.narrow(1, c % s[1], 1);
            }
            return Tensor.cat(1, parts).mul((double) s[1] / k).contiguous();
        }
    }

    static Preprocessing adaptPreprocessing(Preprocessing p, int k) {
        if (k == p.channels()) {
            return p;
        }
        List<Double> mean = new ArrayList<>();
        List<Double> std = new ArrayList<>();
        if (k == 1) {
            mean.add(p.mean().stream().mapToDouble(Double::doubleValue).average().orElseThrow());
            std.add(p.std().stream().mapToDouble(Double::doubleValue).average().orElseThrow());
        } else {
            for (int c = 0; c < k; c++) {
                mean.add(p.mean().get(c % p.channels()));
                std.add(p.std().get(c % p.channels()));
            }
        }
        return new Preprocessing(p.inputSize(), p.resizeSize(), p.interpolation(), mean, std);
    }

    /** ITU-R 601 luma weights, those of Pillow's {@code convert("L")}. */
    private static final double[] LUMA = {0.299, 0.587, 0.114};

    /**
     * The RGB preprocessing that feeds a network of {@code p.channels()} inputs: images always decode to RGB, so
     * a one-channel network gets RGB normalised with its one mean and std, then {@link #fromRgb} turns that into
     * luma (the weights sum to one, so normalising first and converting after gives the normalised luma).
     *
     * @throws IllegalArgumentException for other than one or three channels: images give no more
     */
    public static Preprocessing rgbPreprocessing(Preprocessing p) {
        if (p.channels() == 3) {
            return p;
        }
        if (p.channels() != 1) {
            throw new IllegalArgumentException("a network of " + p.channels() + " input channels cannot be fed from"
                    + " image files, which decode to RGB (1 or 3 channels); train it through the API with tensors");
        }
        List<Double> mean = List.of(p.mean().get(0), p.mean().get(0), p.mean().get(0));
        List<Double> std = List.of(p.std().get(0), p.std().get(0), p.std().get(0));
        return new Preprocessing(p.inputSize(), p.resizeSize(), p.interpolation(), mean, std);
    }

    /** A normalised RGB batch [B, 3, H, W] as the network's input: unchanged, or luma [B, 1, H, W]. */
    public static Tensor fromRgb(Tensor batch, int channels) {
        if (channels == 3) {
            return batch;
        }
        return batch.mul(Tensor.of(LUMA, 1, 3, 1, 1).to(batch.dtype()).to(batch.backend())).sum(1, true);
    }
}
