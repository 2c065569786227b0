package dev.graft.bench;

/**
 * The names of {@link ResNet50Layers#distinct()} in forward order, as an enum so that JMH runs every constant
 * of a {@code @Param} field left without values, and both kernel benchmarks share the one list (a test keeps it
 * equal to the derived table). Lower case because the constants are the benchmarks' readable parameter values;
 * public because JMH's generated code, in a sub-package, names the type.
 */
public enum ResNet50Conv {
    stem_7x7_s2,
    l1_reduce_first, l1_3x3, l1_expand, l1_reduce,
    l2_reduce_first, l2_3x3_s2, l2_expand, l2_down_s2, l2_reduce, l2_3x3,
    l3_reduce_first, l3_3x3_s2, l3_expand, l3_down_s2, l3_reduce, l3_3x3,
    l4_reduce_first, l4_3x3_s2, l4_expand, l4_down_s2, l4_reduce, l4_3x3;

    ConvLayer layer() {
        return ResNet50Layers.get(name());
    }
}
