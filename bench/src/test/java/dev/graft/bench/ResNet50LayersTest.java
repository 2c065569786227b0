package dev.graft.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.graft.engine.Generator;
import dev.graft.engine.NoGrad;
import dev.graft.engine.Tensor;
import dev.graft.engine.nn.Conv2d;
import dev.graft.engine.nn.Module;
import dev.graft.models.ModelRegistry;
import dev.graft.models.resnet.StagedNetwork;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.annotations.Param;

/** The derived ResNet-50 table against graft's own ResNet-50, and the benchmarks' parameter lists against it. */
class ResNet50LayersTest {
    private static StagedNetwork resnet50;

    @BeforeAll
    static void build() {
        resnet50 = ModelRegistry.get("resnet50").build(new Generator(1));
        resnet50.eval();
    }

    @Test
    void everyConvolutionMatchesTheRealNetworkIncludingSpatialSizes() {
        assertEquals(53, ResNet50Layers.all().size());
        assertEquals(List.of(), mismatches(ResNet50Layers.all(), resnet50));
    }

    @Test
    void theCheckCatchesAWrongTable() {
        List<ConvLayer> wrongStride = new ArrayList<>(ResNet50Layers.all());
        int i = indexOf(wrongStride, "layer3.0.conv2");
        ConvLayer l = wrongStride.get(i);
        wrongStride.set(i, new ConvLayer(l.name(), l.module(), l.inC(), l.size(), l.outC(), l.kernel(), 1, 1));
        assertFalse(mismatches(wrongStride, resnet50).isEmpty());

        List<ConvLayer> wrongSize = new ArrayList<>(ResNet50Layers.all());
        i = indexOf(wrongSize, "layer2.1.conv1");
        l = wrongSize.get(i);
        wrongSize.set(i, new ConvLayer(l.name(), l.module(), l.inC(), 56, l.outC(), l.kernel(), l.stride(),
                l.padding()));
        assertFalse(mismatches(wrongSize, resnet50).isEmpty());

        List<ConvLayer> missing = new ArrayList<>(ResNet50Layers.all());
        missing.remove(indexOf(missing, "layer4.0.downsample.0"));
        assertFalse(mismatches(missing, resnet50).isEmpty());
    }

    @Test
    void distinctListsEachShapeOnceInForwardOrder() {
        List<ConvLayer> distinct = ResNet50Layers.distinct();
        assertEquals(23, distinct.size());
        assertEquals(23, distinct.stream().map(ConvLayer::name).distinct().count());
        for (ConvLayer layer : ResNet50Layers.all()) {
            assertEquals(1, distinct.stream().filter(layer::sameShape).count(), layer.module());
        }
        assertEquals(List.of("stem_7x7_s2", "l1_reduce_first", "l1_3x3", "l1_expand", "l1_reduce"),
                distinct.subList(0, 5).stream().map(ConvLayer::name).toList());
        ConvLayer down = ResNet50Layers.get("l3_down_s2");
        assertEquals(List.of("layer3.0.downsample.0", 512, 28, 1024, 1, 2, 0, 14), List.of(down.module(), down.inC(),
                down.size(), down.outC(), down.kernel(), down.stride(), down.padding(), down.outSize()));
    }

    @Test
    void benchmarkParametersNameEveryDistinctLayer() throws Exception {
        List<String> names = ResNet50Layers.distinct().stream().map(ConvLayer::name).toList();
        assertEquals(names, Arrays.stream(ResNet50Conv.values()).map(Enum::name).toList());
        assertEquals(ResNet50Conv.class, Conv2dBench.class.getField("layer").getType());
        assertEquals(ResNet50Conv.class, GemmBench.ResNet50.class.getField("layer").getType());
        assertEquals(Arrays.stream(ConvPass.values()).map(p -> p.label).toList(),
                params(GemmBench.ResNet50.class, "pass"));
        assertEquals(ResNet50Layers.BATCH_NORM_LAYERS, params(BatchNormBench.class, "layer"));
        assertTrue(names.containsAll(ResNet50Layers.BATCH_NORM_LAYERS));
    }

    @Test
    void committedJsonForThePyTorchScriptIsCurrent() throws Exception {
        Path committed = Path.of("scripts", "resnet50_layers.json");
        ObjectMapper json = new ObjectMapper();
        assertEquals(json.readTree(ResNet50Layers.toJson()), json.readTree(Files.readString(committed)),
                "regenerate with: java -cp bench/target/benchmarks.jar dev.graft.bench.ResNet50Layers > "
                        + "bench/scripts/resnet50_layers.json");
    }

    /**
     * Differences between the table and the network: the same set of convolution modules with the same channels,
     * kernel, stride and padding, and, pushing a 224x224 image through the network block by block, each
     * convolution's input having the table's size and channels.
     */
    private static List<String> mismatches(List<ConvLayer> table, StagedNetwork net) {
        List<String> problems = new ArrayList<>();
        Map<String, Module> modules = net.namedModules();
        Map<String, ConvLayer> byModule = table.stream().collect(Collectors.toMap(ConvLayer::module, l -> l));
        Set<String> convs = modules.entrySet().stream().filter(e -> e.getValue() instanceof Conv2d)
                .map(Map.Entry::getKey).collect(Collectors.toSet());
        if (!convs.equals(byModule.keySet())) {
            problems.add("modules: network " + convs.size() + ", table " + byModule.size());
        }
        for (String name : convs) {
            Conv2d c = (Conv2d) modules.get(name);
            ConvLayer l = byModule.get(name);
            if (l != null && (c.inChannels() != l.inC() || c.outChannels() != l.outC() || c.groups() != 1
                    || !Arrays.equals(c.kernelSize(), new int[] {l.kernel(), l.kernel()})
                    || !Arrays.equals(c.stride(), new int[] {l.stride(), l.stride()})
                    || !Arrays.equals(c.padding(), new int[] {l.padding(), l.padding()}))) {
                problems.add(name + ": hyper-parameters differ from " + l);
            }
        }
        try (var _ = NoGrad.enter()) {
            Tensor x = Tensor.randn(new Generator(2), 1, 3, 224, 224);
            expectInput(problems, byModule.get("conv1"), x);
            for (String stem : List.of("conv1", "bn1", "relu", "maxpool")) {
                x = modules.get(stem).forward(x);
            }
            for (String block : modules.keySet().stream().filter(n -> n.matches("layer\\d\\.\\d+")).toList()) {
                expectInput(problems, byModule.get(block + ".conv1"), x);
                expectInput(problems, byModule.get(block + ".downsample.0"), modules.containsKey(block + ".downsample")
                        ? x : null);
                Tensor y = modules.get(block + ".conv1").forward(x);
                expectInput(problems, byModule.get(block + ".conv2"), y);
                y = modules.get(block + ".conv2").forward(y);
                expectInput(problems, byModule.get(block + ".conv3"), y);
                x = modules.get(block).forward(x);
            }
        }
        return problems;
    }

    private static void expectInput(List<String> problems, ConvLayer layer, Tensor x) {
        if (layer == null || x == null) {
            return;
        }
        int[] s = x.shape();
        if (s[1] != layer.inC() || s[2] != layer.size() || s[3] != layer.size()) {
            problems.add(layer.module() + ": input " + Arrays.toString(s) + ", table says " + layer.inC() + "x"
                    + layer.size() + "x" + layer.size());
        }
    }

    private static int indexOf(List<ConvLayer> layers, String module) {
        for (int i = 0; i < layers.size(); i++) {
            if (layers.get(i).module().equals(module)) {
                return i;
            }
        }
        throw new AssertionError("no " + module);
    }

    private static List<String> params(Class<?> state, String field) throws NoSuchFieldException {
        return List.of(state.getField(field).getAnnotation(Param.class).value());
    }
}
