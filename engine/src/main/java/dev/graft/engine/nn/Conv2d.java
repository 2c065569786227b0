package dev.graft.engine.nn;

import dev.graft.engine.Functional;
import dev.graft.engine.Generator;
import dev.graft.engine.Shape;
import dev.graft.engine.Tensor;

/**
 * 2-D convolution with a square kernel, weight {@code [out, in / groups, k, k]}; PyTorch's default
 * initialisation (kaiming_uniform with a = sqrt(5), bias bound 1 / sqrt(fan_in)).
 */
public final class Conv2d extends Module {
    private final int inChannels;
    private final int outChannels;
    private final int[] kernel;
    private final int[] stride;
    private final int[] padding;
    private final int[] dilation;
    private final int groups;
    private final Parameter weight;
    private final Parameter bias;

    public Conv2d(int inChannels, int outChannels, int kernelSize, int stride, int padding, boolean bias, Generator gen) {
        this(inChannels, outChannels, kernelSize, stride, padding, 1, 1, bias, gen);
    }

    public Conv2d(int inChannels, int outChannels, int kernelSize, int stride, int padding, int dilation, int groups,
                  boolean bias, Generator gen) {
        if (inChannels < 1 || outChannels < 1 || kernelSize < 1 || stride < 1 || padding < 0 || dilation < 1
                || groups < 1) {
            throw new IllegalArgumentException("Conv2d: sizes must be >= 1 and padding >= 0, got in_channels="
                    + inChannels + " out_channels=" + outChannels + " kernel_size=" + kernelSize + " stride=" + stride
                    + " padding=" + padding + " dilation=" + dilation + " groups=" + groups);
        }
        if (inChannels % groups != 0) {
            throw new IllegalArgumentException("Conv2d: in_channels " + inChannels + " not divisible by groups " + groups);
        }
        if (outChannels % groups != 0) {
            throw new IllegalArgumentException("Conv2d: out_channels " + outChannels + " not divisible by groups " + groups);
        }
        this.inChannels = inChannels;
        this.outChannels = outChannels;
        this.kernel = new int[] {kernelSize, kernelSize};
        this.stride = new int[] {stride, stride};
        this.padding = new int[] {padding, padding};
        this.dilation = new int[] {dilation, dilation};
        this.groups = groups;
        this.weight = registerParameter("weight",
                new Parameter(Tensor.zeros(outChannels, inChannels / groups, kernelSize, kernelSize)));
        this.bias = bias ? registerParameter("bias", new Parameter(Tensor.zeros(outChannels))) : null;
        Init.linearDefault(weight.tensor(), bias ? this.bias.tensor() : null, gen);
    }

    @Override
    public Tensor forward(Tensor x) {
        return Functional.conv2d(x, weight.tensor(), bias == null ? null : bias.tensor(), stride, padding, dilation,
                groups);
    }

    public Parameter weight() {
        return weight;
    }

    /** The bias, or null when built without one. */
    public Parameter bias() {
        return bias;
    }

    public int inChannels() {
        return inChannels;
    }

    public int outChannels() {
        return outChannels;
    }

    public int[] kernelSize() {
        return kernel.clone();
    }

    public int[] stride() {
        return stride.clone();
    }

    public int[] padding() {
        return padding.clone();
    }

    public int[] dilation() {
        return dilation.clone();
    }

    public int groups() {
        return groups;
    }

    @Override
    protected String extraRepr() {
        return inChannels + ", " + outChannels + ", kernel_size=" + Shape.format(kernel) + ", stride="
                + Shape.format(stride) + ", padding=" + Shape.format(padding)
                + (dilation[0] != 1 ? ", dilation=" + Shape.format(dilation) : "")
                + (groups != 1 ? ", groups=" + groups : "") + ", bias=" + (bias != null);
    }
}
