package org.tessera.opencl;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.tessera.DType;
import org.tessera.backend.BinaryOp;
import org.tessera.backend.UnaryOp;

/**
 * Assembles the program of one dtype: the kernel files of {@code tessera-kernels} plus one instantiation line
 * per row of the op tables, which carry each op's OpenCL C formula beside its Java one.
 */
final class KernelSource {
    private KernelSource() {}

    /** Kernel name of a table row: {@code unary_tanh}, {@code binary_backward_mul_1}, ... */
    static String name(Enum<?> op) {
        return op.name().toLowerCase(Locale.ROOT);
    }

    static String clType(DType t) {
        return switch (t) {
            case F32 -> "float";
            case F64 -> "double";
            case I32 -> "int";
            case F16 -> "half";       // as a pointer only (vload_half / vstore_half): no cl_khr_fp16 needed
            case BF16 -> "ushort";
        };
    }

    /** The copy kernel that converts from {@code source}: {@code copy_from_float}, ..., {@code copy_from_bf16}. */
    static String copyKernel(DType source) {
        return "copy_from_" + (source.isHalf() ? source.name().toLowerCase(Locale.ROOT) : clType(source));
    }

    /** The compute type of a program: float for F32, F16 and BF16 data, double for F64 and (when the device has fp64) I32 data. */
    static DType computeType(DType t, boolean fp64) {
        return t == DType.F32 || t.isHalf() || !fp64 ? DType.F32 : DType.F64;
    }

    /**
     * The programs of one dtype, by kind: an op builds only its kind's program on first use (PoCL takes
     * seconds for a program with every kernel, well under one for one kind).
     */
    enum Program {
        FILL_COPY, UNARY, UNARY_BACKWARD, BINARY, BINARY_BACKWARD, REDUCE, INDEX, GEMM, RANDOM, OPTIM
    }

    static String source(DType t, Program program, boolean fp64) {
        StringBuilder s = new StringBuilder(resource("common.cl"));
        switch (program) {
            case FILL_COPY -> {
                s.append(resource("elementwise.cl")).append("CONVERT_FROM(float)\nCONVERT_FROM(int)\n");
                if (fp64) s.append("CONVERT_FROM(double)\n");
            }
            case UNARY, UNARY_BACKWARD -> {
                s.append(resource("elementwise.cl")).append("// instantiated from org.tessera.backend.UnaryOp\n");
                for (UnaryOp op : UnaryOp.values()) {
                    if (program == Program.UNARY) {
                        s.append("UNARY_KERNEL(").append(name(op)).append(", ").append(op.clForward()).append(")\n");
                        s.append("UNARY_DENSE(").append(name(op)).append(", ").append(op.clForward()).append(")\n");
                    }
                    else s.append("UNARY_BACKWARD(").append(name(op)).append(", ").append(op.clBackward()).append(")\n");
                }
            }
            case BINARY, BINARY_BACKWARD -> {
                s.append(resource("elementwise.cl")).append("// instantiated from org.tessera.backend.BinaryOp\n");
                for (BinaryOp op : BinaryOp.values()) {
                    if (program == Program.BINARY) {
                        s.append("BINARY_KERNEL(").append(name(op)).append(", ").append(op.clForward()).append(")\n");
                        s.append("BINARY_DENSE(").append(name(op)).append(", ").append(op.clForward()).append(")\n");
                        continue;
                    }
                    for (int input = 0; input < 2; input++) {
                        s.append("BINARY_BACKWARD(").append(name(op)).append(", ").append(input).append(", ")
                                .append(op.clBackward(input)).append(")\n");
                    }
                }
            }
            case REDUCE -> s.append(resource("reduce.cl"));
            case INDEX -> s.append(resource("index.cl"));
            case GEMM -> s.append(resource("gemm.cl"));
            case RANDOM -> s.append(resource("random.cl"));
            case OPTIM -> s.append(resource("optim.cl"));
        }
        return s.toString();
    }

    /**
     * Build options of a program of dtype {@code t}. Where the device can, float division and sqrt are correctly
     * rounded (OpenCL allows 2.5 and 3 ulp by default), so F32 results match the CPU backend's bit for bit.
     */
    static String options(DType t, ClDevice device) {
        boolean fp64 = device.fp64();
        String type = clType(t);
        StringBuilder o = new StringBuilder("-cl-std=CL1.2 -DT=").append(type)
                .append(" -DCT=").append(clType(computeType(t, fp64)))
                .append(" -DACC=").append(fp64 ? "double" : "float");
        if (fp64) o.append(" -DHAS_FP64");
        if (t.isFloating() && !t.isHalf()) o.append(" -DT8=").append(type).append('8');
        if (t == DType.F64) o.append(" -DIS_F64");
        if (t.isHalf()) o.append(" -DHALF_STORAGE -DIS_").append(t.name());
        if (device.correctlyRoundedDivideSqrt()) o.append(" -cl-fp32-correctly-rounded-divide-sqrt");
        return o.toString();
    }

    private static String resource(String file) {
        try (InputStream in = KernelSource.class.getResourceAsStream("/org/tessera/kernels/" + file)) {
            if (in == null) throw new IllegalStateException("kernel source " + file + " is missing (tessera-kernels not on the class path?)");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8) + "\n";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
