package dev.graft.engine;

import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

import static dev.graft.engine.GradCheck.assertGradients;
import static dev.graft.engine.GradCheck.awayFromZero;
import static dev.graft.engine.GradCheck.leaf;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import org.junit.jupiter.api.Tag;

/**
 * Finite-difference checks (F64) of every differentiable tensor op: elementwise with broadcasting,
 * views, reductions, matmul and joins, over shapes drawn by jqwik.
 */
@Tag("backend")
class TensorGradientProperties {

    /** b's shape: a's trailing dims, some set to 1, with {@code drop} leading dims removed. */
    private static int[] broadcastPartner(int[] a, int onesMask, int drop) {
        int rank = Math.max(1, a.length - drop);
        int[] b = new int[rank];
        for (int i = 0; i < rank; i++) {
            int ai = a.length - rank + i;
            b[i] = (onesMask >> i & 1) == 1 ? 1 : a[ai];
        }
        return b;
    }

    @Property(tries = 25)
    void addSubMulDivWithBroadcasting(@ForAll @IntRange(min = 1, max = 4) int d0, @ForAll @IntRange(min = 1, max = 3) int d1,
                                      @ForAll @IntRange(min = 1, max = 4) int d2, @ForAll @IntRange(min = 0, max = 7) int ones,
                                      @ForAll @IntRange(min = 0, max = 2) int drop, @ForAll @IntRange(min = 0, max = 999) int seed) {
        int[] sa = {d0, d1, d2};
        int[] sb = broadcastPartner(sa, ones, drop);
        Tensor a = leaf(seed, 1, 0, sa);
        Tensor b = awayFromZero(seed + 1, 0.5, sb);
        assertGradients("add", x -> x[0].add(x[1]), a, b);
        assertGradients("add, broadcast operand first", x -> x[1].add(x[0]), a, b);
        assertGradients("sub", x -> x[1].sub(x[0]), a, b);
        assertGradients("sub, broadcast operand second", x -> x[0].sub(x[1]), a, b);
        assertGradients("mul", x -> x[0].mul(x[1]), a, b);
        assertGradients("mul, broadcast operand first", x -> x[1].mul(x[0]), a, b);
        assertGradients("div", x -> x[0].div(x[1]), a, b);
        assertGradients("div by broadcast numerator", x -> x[1].div(x[0].abs().add(0.5)), a, b);
        // Both operands broadcast: [d0, 1, d2] against [d1, 1] gives [d0, d1, d2].
        Tensor col = leaf(seed + 2, 1, 0, d0, 1, d2);
        Tensor row = awayFromZero(seed + 3, 0.5, d1, 1);
        assertGradients("add, both broadcast", x -> x[0].add(x[1]), col, row);
        assertGradients("sub, both broadcast", x -> x[1].sub(x[0]), col, row);
        assertGradients("mul, both broadcast", x -> x[1].mul(x[0]), col, row);
        assertGradients("div, both broadcast", x -> x[0].div(x[1]), col, row);
    }

    /** Every operand broadcast along some dim, whatever the draws above hit. */
    @Example
    void binaryOpsBroadcastEitherOperand() {
        addSubMulDivWithBroadcasting(3, 2, 4, 0b101, 0, 11);
        addSubMulDivWithBroadcasting(2, 3, 2, 0b010, 1, 12);
    }

    @Property(tries = 20)
    void unaryOps(@ForAll @IntRange(min = 1, max = 5) int d0, @ForAll @IntRange(min = 1, max = 5) int d1,
                  @ForAll @IntRange(min = 0, max = 999) int seed) {
        Tensor x = awayFromZero(seed, 0.05, d0, d1);
        Tensor positive = leaf(seed + 1, 0.3, 2, d0, d1);
        assertGradients("neg", t -> t[0].neg(), x);
        assertGradients("exp", t -> t[0].exp(), x);
        assertGradients("relu", t -> t[0].relu(), x);
        assertGradients("abs", t -> t[0].abs(), x);
        assertGradients("clamp", t -> t[0].clamp(-0.5, 0.7), x);
        assertGradients("scalar affine", t -> t[0].mul(3).add(2).sub(1).div(4), x);
        assertGradients("log", t -> t[0].log(), positive);
        assertGradients("sqrt", t -> t[0].sqrt(), positive);
        assertGradients("pow 3", t -> t[0].pow(3), x);
        assertGradients("pow -1.5", t -> t[0].pow(-1.5), positive);
        assertGradients("pow 0.5", t -> t[0].pow(0.5), positive);
    }

    @Property(tries = 15)
    void whereSelectsGradients(@ForAll @IntRange(min = 1, max = 4) int d0, @ForAll @IntRange(min = 1, max = 4) int d1,
                               @ForAll @IntRange(min = 0, max = 999) int seed) {
        Tensor cond = TestBackend.on(Tensor.rand(new Generator(seed), d0, d1).gt(Tensor.full(0.5, 1)).to(DType.F64));
        Tensor full = leaf(seed + 1, 1, 0, d0, d1);
        Tensor row = leaf(seed + 2, 1, 0, 1, d1);
        Tensor col = leaf(seed + 3, 1, 0, d0, 1);
        assertGradients("where", t -> Tensor.where(cond, t[0], t[1]), full, row);
        assertGradients("where, broadcast operand first", t -> Tensor.where(cond, t[1], t[0]), full, row);
        assertGradients("where, both broadcast", t -> Tensor.where(cond, t[0], t[1]), col, row);
        assertGradients("where, both broadcast swapped", t -> Tensor.where(cond, t[1], t[0]), col, row);
    }

    @Example
    void whereBroadcastsEitherOperand() {
        whereSelectsGradients(3, 4, 21);
    }

    @Property(tries = 20)
    void reductions(@ForAll @IntRange(min = 1, max = 4) int d0, @ForAll @IntRange(min = 1, max = 4) int d1,
                    @ForAll @IntRange(min = 1, max = 4) int d2, @ForAll @IntRange(min = 0, max = 2) int dim,
                    @ForAll boolean keepdim, @ForAll @IntRange(min = 0, max = 999) int seed) {
        Tensor x = leaf(seed, 1, 0, d0, d1, d2);
        assertGradients("sum all", t -> t[0].sum(), x);
        assertGradients("sum dim", t -> t[0].sum(dim, keepdim), x);
        assertGradients("sum dims", t -> t[0].sum(new int[] {dim, (dim + 2) % 3}, keepdim), x);
        assertGradients("mean dim", t -> t[0].mean(dim, keepdim), x);
        assertGradients("mean all", t -> t[0].mean(), x);
        assertGradients("max dim", t -> t[0].max(dim, keepdim).values(), x);
        assertGradients("max all", t -> t[0].max(), x);
    }

    @Property(tries = 20)
    void views(@ForAll @IntRange(min = 1, max = 4) int d0, @ForAll @IntRange(min = 1, max = 4) int d1,
               @ForAll @IntRange(min = 2, max = 5) int d2, @ForAll @IntRange(min = 1, max = 3) int step,
               @ForAll @IntRange(min = 0, max = 999) int seed) {
        Tensor x = leaf(seed, 1, 0, d0, d1, d2);
        assertGradients("reshape", t -> t[0].reshape(d2, -1).mul(t[0].reshape(d2, -1)), x);
        assertGradients("view", t -> t[0].view(d0 * d1, d2).exp(), x);
        assertGradients("permute", t -> t[0].permute(2, 0, 1).contiguous().mul(2), x);
        assertGradients("transpose then reshape", t -> t[0].transpose(0, 2).reshape(-1), x);
        assertGradients("slice with step", t -> t[0].slice(2, 1, d2, step).mul(t[0].slice(2, 1, d2, step)), x);
        assertGradients("narrow", t -> t[0].narrow(2, 1, d2 - 1), x);
        assertGradients("select", t -> t[0].select(1, d1 - 1), x);
        assertGradients("unsqueeze/squeeze", t -> t[0].unsqueeze(1).squeeze(1).unsqueeze(0).squeeze(), x);
        assertGradients("flatten", t -> t[0].flatten(1), x);
        Tensor col = leaf(seed + 1, 1, 0, d0, 1, d2);
        assertGradients("expand", t -> t[0].expand(3, d0, d1, d2).mul(t[0].expand(3, d0, d1, d2)), col);
    }

    /** Steps that do not divide the remaining length, from the first element and from the second. */
    @Example
    void sliceWithStepsTwoAndThreeOnSizeFive() {
        Tensor r = TestBackend.on(Tensor.arange(5));
        assertArrayEquals(new double[] {0, 2, 4}, r.slice(0, 0, 5, 2).toDoubleArray());
        assertArrayEquals(new double[] {1, 3}, r.slice(0, 1, 5, 2).toDoubleArray());
        assertArrayEquals(new double[] {0, 3}, r.slice(0, 0, 5, 3).toDoubleArray());
        assertArrayEquals(new double[] {1, 4}, r.slice(0, 1, 5, 3).toDoubleArray());
        for (int step = 2; step <= 3; step++) {
            views(2, 3, 5, step, 60 + step);
            int by = step;
            Tensor x = leaf(70 + step, 1, 0, 3, 5);
            assertGradients("slice from 0 by " + step, t -> t[0].slice(1, 0, 5, by).mul(t[0].slice(1, 0, 5, by)), x);
            assertGradients("slice of dim 0 by " + step, t -> t[0].t().slice(0, 1, 5, by).exp(), x);
        }
    }

    @Property(tries = 20)
    void matmul(@ForAll @IntRange(min = 1, max = 5) int m, @ForAll @IntRange(min = 1, max = 5) int k,
                @ForAll @IntRange(min = 1, max = 5) int n, @ForAll @IntRange(min = 1, max = 3) int batch,
                @ForAll @IntRange(min = 0, max = 999) int seed) {
        Tensor a = leaf(seed, 1, 0, m, k);
        Tensor b = leaf(seed + 1, 1, 0, k, n);
        assertGradients("matmul 2-D", t -> t[0].matmul(t[1]), a, b);
        assertGradients("matmul transposed views", t -> t[1].t().matmul(t[0].t()), a, b);
        Tensor ba = leaf(seed + 2, 1, 0, batch, m, k);
        assertGradients("matmul batched x 2-D", t -> t[0].matmul(t[1]), ba, b);
        Tensor bb = leaf(seed + 3, 1, 0, 2, 1, k, n);
        assertGradients("matmul broadcast batch", t -> t[0].matmul(t[1]), ba, bb);
    }

    @Property(tries = 15)
    void joins(@ForAll @IntRange(min = 1, max = 4) int d0, @ForAll @IntRange(min = 1, max = 4) int d1,
               @ForAll @IntRange(min = 1, max = 3) int extra, @ForAll @IntRange(min = 0, max = 2) int p0,
               @ForAll @IntRange(min = 0, max = 2) int p1, @ForAll @IntRange(min = 0, max = 999) int seed) {
        Tensor a = leaf(seed, 1, 0, d0, d1);
        Tensor b = leaf(seed + 1, 1, 0, d0, extra);
        assertGradients("cat", t -> Tensor.cat(1, t[0], t[1], t[0]), a, b);
        Tensor c = leaf(seed + 2, 1, 0, d0, d1);
        assertGradients("stack", t -> Tensor.stack(0, t[0], t[1].mul(t[0])), a, c);
        assertGradients("pad", t -> t[0].pad(new int[] {p0, p1, p1, p0}, 0.5).mul(3), a);
    }
}
