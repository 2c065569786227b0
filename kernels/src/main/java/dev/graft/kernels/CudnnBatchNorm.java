package dev.graft.kernels;

import dev.graft.engine.DType;
import dev.graft.engine.Shape;
import dev.graft.engine.Tensor;
import jcuda.Pointer;
import jcuda.driver.JCudaDriver;
import jcuda.jcudnn.JCudnn;
import jcuda.jcudnn.cudnnBatchNormMode;
import jcuda.jcudnn.cudnnTensorDescriptor;

import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;

/**
 * Training-mode batch normalisation through cuDNN's spatial mode (statistics per channel over N and every
 * trailing dimension), F32 or F64, with the engine's semantics:
 * <ul>
 * <li>{@code saveMean} and {@code saveInvStd} are cuDNN's {@code resultSaveMean} and
 * {@code resultSaveInvVariance}, which despite its name holds {@code 1/sqrt(var + eps)}: what the backward
 * pass takes back.</li>
 * <li>Running statistics are updated in place as {@code (1 - factor)·running + factor·batch} with
 * {@code exponentialAverageFactor = momentum}, the running variance from the unbiased batch variance: the
 * formula cuDNN's header gives for the factor, and the estimator cuDNN uses (PyTorch hands its running
 * statistics to cuDNN unchanged and documents them as unbiased; MXNet measured cuDNN's running variance to
 * be the unbiased one against its own biased kernel, apache/mxnet#21111). The GPU test checks both against
 * the CPU backend.</li>
 * <li>A null weight or bias is a tensor of ones or zeros (cuDNN needs both); the scale, bias and statistics
 * descriptor is in the data's type, as cuDNN requires for F32 and F64 data.</li>
 * </ul>
 */
final class CudnnBatchNorm {
    private static final Pointer ONE_F32 = Pointer.to(new float[] {1f});
    private static final Pointer ZERO_F32 = Pointer.to(new float[] {0f});
    private static final Pointer ONE_F64 = Pointer.to(new double[] {1.0});
    private static final Pointer ZERO_F64 = Pointer.to(new double[] {0.0});

    private final CudaDevice device;
    private final Map<Layouts, Descriptors> descriptors = new HashMap<>();
    private final Map<DType, CudaStorage> ones = new EnumMap<>(DType.class);
    private final Map<DType, CudaStorage> zeros = new EnumMap<>(DType.class);

    CudnnBatchNorm(CudaDevice device) {
        this.device = device;
    }

    Tensor[] train(Tensor x, Tensor weight, Tensor bias, Tensor runningMean, Tensor runningVar, double momentum,
                   double eps) {
        DType dtype = dtypeOf("batch_norm", x, weight, bias, runningMean, runningVar);
        int[] shape = x.shape();
        Descriptors d = descriptors(shape, dtype);
        int c = shape[1];
        CudaStorage y = device.allocate(dtype, x.numel());
        CudaStorage mean = device.allocate(dtype, c);
        CudaStorage invStd = device.allocate(dtype, c);
        long scale = weight == null ? ones(dtype, c) : CudaStorage.address(weight);
        long shift = bias == null ? zeros(dtype, c) : CudaStorage.address(bias);
        // cuDNN updates both running statistics or neither; one given alone gets a scratch partner.
        long rm = 0;
        long rv = 0;
        if (runningMean != null || runningVar != null) {
            rm = runningMean == null ? device.zeros(dtype, c).address() : CudaStorage.address(runningMean);
            rv = runningVar == null ? device.zeros(dtype, c).address() : CudaStorage.address(runningVar);
        }
        int status = JCudnn.cudnnBatchNormalizationForwardTraining(device.cudnn(),
                cudnnBatchNormMode.CUDNN_BATCHNORM_SPATIAL, one(dtype), zero(dtype), d.x,
                DeviceAddress.at(CudaStorage.address(x)), d.x, DeviceAddress.at(y.address()), d.channels,
                DeviceAddress.at(scale), DeviceAddress.at(shift), momentum, DeviceAddress.at(rm), DeviceAddress.at(rv),
                eps, DeviceAddress.at(mean.address()), DeviceAddress.at(invStd.address()));
        if (status != 0) {
            throw new CudaException(CudaException.Library.CUDNN, status, "cudnnBatchNormalizationForwardTraining("
                    + dtype + " " + Shape.format(shape) + ", momentum " + momentum + ", eps " + eps + ")");
        }
        return new Tensor[] {Tensor.of(y, shape), Tensor.of(mean, c), Tensor.of(invStd, c)};
    }

    /** {@code eps} is the forward pass's, which cuDNN asks for although it reads the saved inverse deviation. */
    Tensor[] backward(Tensor gradOut, Tensor x, Tensor weight, Tensor saveMean, Tensor saveInvStd, boolean[] wanted,
                      double eps) {
        DType dtype = dtypeOf("batch_norm backward", x, gradOut, weight, saveMean, saveInvStd);
        if (!wanted[0] && !wanted[1] && !wanted[2]) {
            return new Tensor[3];
        }
        int[] shape = x.shape();
        Descriptors d = descriptors(shape, dtype);
        int c = shape[1];
        // cuDNN writes all three gradients; the unwanted ones land in storage that is dropped at once.
        CudaStorage dx = device.allocate(dtype, x.numel());
        CudaStorage dScale = device.allocate(dtype, c);
        CudaStorage dBias = device.allocate(dtype, c);
        long scale = weight == null ? ones(dtype, c) : CudaStorage.address(weight);
        int status = JCudnn.cudnnBatchNormalizationBackward(device.cudnn(),
                cudnnBatchNormMode.CUDNN_BATCHNORM_SPATIAL, one(dtype), zero(dtype), one(dtype), zero(dtype), d.x,
                DeviceAddress.at(CudaStorage.address(x)), d.x, DeviceAddress.at(CudaStorage.address(gradOut)), d.x,
                DeviceAddress.at(dx.address()), d.channels, DeviceAddress.at(scale),
                DeviceAddress.at(dScale.address()), DeviceAddress.at(dBias.address()), eps,
                DeviceAddress.at(CudaStorage.address(saveMean)), DeviceAddress.at(CudaStorage.address(saveInvStd)));
        if (status != 0) {
            throw new CudaException(CudaException.Library.CUDNN, status,
                    "cudnnBatchNormalizationBackward(" + dtype + " " + Shape.format(shape) + ")");
        }
        return new Tensor[] {
            wanted[0] ? Tensor.of(dx, shape) : null,
            wanted[1] ? Tensor.of(dScale, c) : null,
            wanted[2] ? Tensor.of(dBias, c) : null};
    }

    /** The data type every given operand shares: F32 or F64. */
    private static DType dtypeOf(String op, Tensor x, Tensor... others) {
        DType dtype = x.dtype();
        if (dtype != DType.F32 && dtype != DType.F64) {
            throw new IllegalArgumentException(op + ": cuDNN normalises F32 or F64, got " + dtype);
        }
        for (Tensor t : others) {
            if (t != null && t.dtype() != dtype) {
                throw new IllegalArgumentException(op + ": input is " + dtype + " but an operand "
                        + Shape.format(t.shape()) + " is " + t.dtype());
            }
        }
        return dtype;
    }

    /** The layouts cuDNN sees for an input of {@code shape}, which identify its descriptors. */
    record Layouts(TensorLayout x, TensorLayout channels, DType dtype) {

        static Layouts of(int[] shape, DType dtype) {
            TensorLayout x = TensorLayout.batchNorm(shape);
            return new Layouts(x, TensorLayout.channels(x.dims()[1]), dtype);
        }
    }

    /** The input (also output and gradient) descriptor and the per-channel descriptor of one shape. */
    private record Descriptors(cudnnTensorDescriptor x, cudnnTensorDescriptor channels) {
    }

    private synchronized Descriptors descriptors(int[] shape, DType dtype) {
        return descriptors.computeIfAbsent(Layouts.of(shape, dtype),
                l -> new Descriptors(l.x().descriptor(dtype), l.channels().descriptor(dtype)));
    }

    /** Address of at least {@code c} ones of {@code dtype}, kept and grown as channel counts grow. */
    private synchronized long ones(DType dtype, int c) {
        CudaStorage held = ones.get(dtype);
        if (held == null || held.size() < c) {
            held = device.allocate(dtype, c);
            Pointer host = dtype == DType.F64 ? Pointer.to(filled(new double[c])) : Pointer.to(filled(new float[c]));
            long bytes = (long) c * CudaStorage.elementBytes(dtype);
            CudaException.checkDriver(JCudaDriver.cuMemcpyHtoD(DeviceAddress.at(held.address()), host, bytes),
                    "cuMemcpyHtoD(" + bytes + " bytes of ones)");
            ones.put(dtype, held);
        }
        return held.address();
    }

    /** Address of at least {@code c} zeros of {@code dtype}, kept and grown as channel counts grow. */
    private synchronized long zeros(DType dtype, int c) {
        CudaStorage held = zeros.get(dtype);
        if (held == null || held.size() < c) {
            held = device.zeros(dtype, c);
            zeros.put(dtype, held);
        }
        return held.address();
    }

    private static float[] filled(float[] values) {
        Arrays.fill(values, 1f);
        return values;
    }

    private static double[] filled(double[] values) {
        Arrays.fill(values, 1.0);
        return values;
    }

    private static Pointer one(DType dtype) {
        return dtype == DType.F64 ? ONE_F64 : ONE_F32;
    }

    private static Pointer zero(DType dtype) {
        return dtype == DType.F64 ? ZERO_F64 : ZERO_F32;
    }
}
