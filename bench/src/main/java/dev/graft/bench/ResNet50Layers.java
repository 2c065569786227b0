package dev.graft.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * The convolutions of torchvision's ResNet-50 (v1.5) on 224x224 images, derived from its layer table: a 7x7
 * stride-2 stem and a 3x3 stride-2 max-pool, then stages of 3, 4, 6 and 3 bottlenecks of 64, 128, 256 and 512
 * planes (1x1 reduce to the planes, 3x3, 1x1 expand to 4x the planes); each stage's first block strides its 3x3
 * by 2 (except in layer1) and projects the shortcut with a 1x1 downsample of the same stride.
 *
 * <p>Benchmark names: {@code stem_7x7_s2}, then per stage {@code lS_reduce_first} (block 0's 1x1 reduce, whose
 * input is the previous stage's output), {@code lS_3x3_s2} / {@code lS_3x3}, {@code lS_expand},
 * {@code lS_down_s2} and {@code lS_reduce} (the other blocks' 1x1 reduce). layer1's downsample has the shape of
 * its expand, so {@link #distinct()} lists it once, as {@code l1_expand}.
 *
 * <p>Every benchmark runs a batch of {@link #BATCH} images: the batch of {@code graft bench} and
 * bench/compare-pytorch.sh, and the convolution GEMMs are timed per image as {@code Conv2dKernels} runs them.
 */
final class ResNet50Layers {
    /** Images per benchmark call. */
    static final int BATCH = 8;
    /** The layers whose output shapes {@link BatchNormBench} normalises: stem, a bottleneck inside, each stage's output. */
    static final List<String> BATCH_NORM_LAYERS = List.of("stem_7x7_s2", "l1_3x3", "l1_expand", "l2_expand",
            "l3_expand", "l4_expand");
    private static final int[] BLOCKS = {3, 4, 6, 3};
    private static final int EXPANSION = 4;
    private static final int IMAGE_SIZE = 224;

    private ResNet50Layers() {
    }

    /** Every convolution in forward order (53), named by torchvision module and benchmark role. */
    static List<ConvLayer> all() {
        List<ConvLayer> layers = new ArrayList<>();
        ConvLayer stem = new ConvLayer("stem_7x7_s2", "conv1", 3, IMAGE_SIZE, 64, 7, 2, 3);
        layers.add(stem);
        int size = (stem.outSize() + 2 - 3) / 2 + 1; // max-pool 3x3, stride 2, padding 1
        int in = 64;
        for (int s = 0; s < BLOCKS.length; s++) {
            int planes = 64 << s;
            int out = planes * EXPANSION;
            String tag = "l" + (s + 1);
            for (int b = 0; b < BLOCKS[s]; b++) {
                int stride = b == 0 && s > 0 ? 2 : 1;
                String module = "layer" + (s + 1) + "." + b + ".";
                String strided = stride == 2 ? "_s2" : "";
                layers.add(new ConvLayer(tag + (b == 0 ? "_reduce_first" : "_reduce"), module + "conv1", in, size,
                        planes, 1, 1, 0));
                ConvLayer middle = new ConvLayer(tag + "_3x3" + strided, module + "conv2", planes, size, planes, 3,
                        stride, 1);
                layers.add(middle);
                layers.add(new ConvLayer(tag + "_expand", module + "conv3", planes, middle.outSize(), out, 1, 1, 0));
                if (stride != 1 || in != out) {
                    layers.add(new ConvLayer(tag + "_down" + strided, module + "downsample.0", in, size, out, 1,
                            stride, 0));
                }
                size = middle.outSize();
                in = out;
            }
        }
        return layers;
    }

    /** One layer per distinct shape (23), the first in forward order, in forward order. */
    static List<ConvLayer> distinct() {
        List<ConvLayer> distinct = new ArrayList<>();
        for (ConvLayer layer : all()) {
            if (distinct.stream().noneMatch(layer::sameShape)) {
                distinct.add(layer);
            }
        }
        return distinct;
    }

    static ConvLayer get(String name) {
        for (ConvLayer layer : distinct()) {
            if (layer.name().equals(name)) {
                return layer;
            }
        }
        throw new IllegalArgumentException("ResNet-50: no convolution named '" + name + "'; known: "
                + distinct().stream().map(ConvLayer::name).toList());
    }

    /** The table as JSON, one convolution a line; bench/scripts/resnet50_layers.json is this output. */
    static String toJson() {
        ObjectMapper json = new ObjectMapper();
        List<String> convs = new ArrayList<>();
        for (ConvLayer l : distinct()) {
            ObjectNode c = json.createObjectNode().put("name", l.name()).put("module", l.module())
                    .put("in_channels", l.inC()).put("size", l.size()).put("out_channels", l.outC())
                    .put("kernel", l.kernel()).put("stride", l.stride()).put("padding", l.padding())
                    .put("out_size", l.outSize());
            ObjectNode gemms = c.putObject("gemm");
            for (ConvPass pass : ConvPass.values()) {
                GemmShape g = l.gemm(pass);
                gemms.putObject(pass.label).put("trans_a", g.transA()).put("trans_b", g.transB()).put("m", g.m())
                        .put("n", g.n()).put("k", g.k());
            }
            convs.add(c.toString());
        }
        ArrayNode norms = json.createArrayNode();
        BATCH_NORM_LAYERS.forEach(norms::add);
        return "{\"batch\": " + BATCH + ",\n\"batch_norm\": " + norms + ",\n\"convs\": [\n"
                + String.join(",\n", convs) + "\n]}\n";
    }

    /** Prints {@link #toJson()}: {@code java -cp bench/target/benchmarks.jar dev.graft.bench.ResNet50Layers}. */
    public static void main(String[] args) {
        System.out.print(toJson());
    }
}
