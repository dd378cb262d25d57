package org.tessera.cpu;

import org.tessera.backend.Half;

/**
 * Moves {@code n} consecutive (row-major) elements of a strided view between a typed Java array and a dense
 * {@code double[]}: the inner dimension is copied in runs, the outer ones stepped like an odometer.
 */
final class Chunks {
    private Chunks() {}

    static void read(Object array, int[] shape, int[] strides, int offset, int start, int n, double[] dst) {
        walk(array, shape, strides, offset, start, n, dst, false);
    }

    static void write(Object array, int[] shape, int[] strides, int offset, int start, int n, double[] src) {
        walk(array, shape, strides, offset, start, n, src, true);
    }

    /** {@link #read} for an F32 view into float scratch: no conversion, so the SIMD kernels can run on the chunk. */
    static void readFloats(float[] array, int[] shape, int[] strides, int offset, int start, int n, float[] dst) {
        walk(array, shape, strides, offset, start, n, dst, false);
    }

    static void writeFloats(float[] array, int[] shape, int[] strides, int offset, int start, int n, float[] src) {
        walk(array, shape, strides, offset, start, n, src, true);
    }

    /** {@code buf} is a double[] (any array) or, for a float[] array, a float[]. */
    private static void walk(Object array, int[] shape, int[] strides, int offset, int start, int n, Object buf, boolean write) {
        int rank = shape.length;
        if (rank == 0) {
            if (n > 0) run(array, offset, 0, buf, 0, 1, write);
            return;
        }
        int[] idx = new int[rank];
        int pos = offset;
        int rem = start;
        for (int d = rank - 1; d >= 0; d--) {
            idx[d] = rem % shape[d];
            rem /= shape[d];
            pos += idx[d] * strides[d];
        }
        int last = rank - 1;
        int inner = shape[last];
        int step = strides[last];
        int k = 0;
        while (k < n) {
            int len = Math.min(inner - idx[last], n - k);
            run(array, pos, step, buf, k, len, write);
            k += len;
            pos += len * step;
            idx[last] += len;
            if (idx[last] == inner && k < n) {
                pos -= inner * step;
                idx[last] = 0;
                for (int d = last - 1; d >= 0; d--) {
                    idx[d]++;
                    pos += strides[d];
                    if (idx[d] < shape[d]) break;
                    pos -= shape[d] * strides[d];
                    idx[d] = 0;
                }
            }
        }
    }

    private static void run(Object array, int pos, int step, Object scratch, int k, int len, boolean write) {
        if (scratch instanceof float[] f) {
            float[] a = (float[]) array;
            if (step == 1) {
                if (write) System.arraycopy(f, k, a, pos, len);
                else System.arraycopy(a, pos, f, k, len);
            } else if (write) {
                for (int j = 0; j < len; j++) a[pos + j * step] = f[k + j];
            } else if (step == 0) {
                java.util.Arrays.fill(f, k, k + len, a[pos]);
            } else {
                for (int j = 0; j < len; j++) f[k + j] = a[pos + j * step];
            }
            return;
        }
        double[] buf = (double[]) scratch;
        if (array instanceof float[] a) {
            if (write) for (int j = 0; j < len; j++) a[pos + j * step] = (float) buf[k + j];
            else for (int j = 0; j < len; j++) buf[k + j] = a[pos + j * step];
        } else if (array instanceof double[] a) {
            if (write) for (int j = 0; j < len; j++) a[pos + j * step] = buf[k + j];
            else for (int j = 0; j < len; j++) buf[k + j] = a[pos + j * step];
        } else if (array instanceof int[] a) {
            if (write) for (int j = 0; j < len; j++) a[pos + j * step] = (int) buf[k + j];
            else for (int j = 0; j < len; j++) buf[k + j] = a[pos + j * step];
        } else if (array instanceof short[] a) {          // F16 bits
            if (write) for (int j = 0; j < len; j++) a[pos + j * step] = Half.f16((float) buf[k + j]);
            else for (int j = 0; j < len; j++) buf[k + j] = Half.f16ToFloat(a[pos + j * step]);
        } else {                                          // BF16 bits
            char[] a = (char[]) array;
            if (write) for (int j = 0; j < len; j++) a[pos + j * step] = (char) Half.bf16((float) buf[k + j]);
            else for (int j = 0; j < len; j++) buf[k + j] = Half.bf16ToFloat((short) a[pos + j * step]);
        }
    }

    static void readDense(Object array, int from, int n, double[] dst) {
        run(array, from, 1, dst, 0, n, false);
    }

    static void writeDense(Object array, int from, int n, double[] src) {
        run(array, from, 1, src, 0, n, true);
    }

    static double get(Object array, int i) {
        if (array instanceof float[] a) return a[i];
        if (array instanceof double[] a) return a[i];
        if (array instanceof short[] a) return Half.f16ToFloat(a[i]);
        if (array instanceof char[] a) return Half.bf16ToFloat((short) a[i]);
        return ((int[]) array)[i];
    }

    static void set(Object array, int i, double v) {
        if (array instanceof float[] a) a[i] = (float) v;
        else if (array instanceof double[] a) a[i] = v;
        else if (array instanceof short[] a) a[i] = Half.f16((float) v);
        else if (array instanceof char[] a) a[i] = (char) Half.bf16((float) v);
        else ((int[]) array)[i] = (int) v;
    }
}
