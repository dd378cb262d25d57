package org.tessera;

import java.util.Arrays;

/** Shape arithmetic and the argument checks that name shapes in their messages. */
final class Shapes {
    private Shapes() {}

    static String str(int[] shape) {
        return Arrays.toString(shape);
    }

    static int numel(int[] shape) {
        long n = 1;
        for (int s : shape) {
            if (s < 0) throw new IllegalArgumentException("negative dimension " + s + " in shape " + str(shape));
            n *= s;
            if (n > Integer.MAX_VALUE) throw new IllegalArgumentException("shape " + str(shape) + " holds more than 2^31-1 elements");
        }
        return (int) n;
    }

    /** NumPy broadcasting of two shapes. */
    static int[] broadcast(int[] a, int[] b, String op) {
        int rank = Math.max(a.length, b.length);
        int[] out = new int[rank];
        for (int i = 0; i < rank; i++) {
            int da = i < rank - a.length ? 1 : a[i - (rank - a.length)];
            int db = i < rank - b.length ? 1 : b[i - (rank - b.length)];
            if (da != db && da != 1 && db != 1) {
                throw new IllegalArgumentException(op + ": shapes " + str(a) + " and " + str(b)
                        + " cannot be broadcast together (dimension " + i + ": " + da + " vs " + db + ")");
            }
            out[i] = da == 1 ? db : da;
        }
        return out;
    }

    /** Resolves a possibly negative dim against a rank. */
    static int dim(int dim, int rank, String op) {
        int d = dim < 0 ? dim + rank : dim;
        if (d < 0 || d >= rank) {
            throw new IllegalArgumentException(op + ": dim " + dim + " is out of range for a tensor of rank " + rank
                    + " (expected " + (rank == 0 ? "none: the tensor is 0-dimensional" : "-" + rank + " to " + (rank - 1)) + ")");
        }
        return d;
    }

    /** The target shape of a reshape, with a single -1 inferred. */
    static int[] inferReshape(int[] from, int[] to, String op) {
        int known = 1, infer = -1;
        for (int i = 0; i < to.length; i++) {
            if (to[i] == -1) {
                if (infer >= 0) throw new IllegalArgumentException(op + ": only one dimension can be -1, got " + str(to));
                infer = i;
            } else if (to[i] < 0) {
                throw new IllegalArgumentException(op + ": invalid size " + to[i] + " in " + str(to));
            } else {
                known *= to[i];
            }
        }
        int n = numel(from);
        int[] out = to.clone();
        if (infer >= 0) {
            if (known == 0 || n % known != 0) {
                throw new IllegalArgumentException(op + ": shape " + str(to) + " is invalid for a tensor of shape "
                        + str(from) + " (" + n + " elements)");
            }
            out[infer] = n / known;
        }
        if (numel(out) != n) {
            throw new IllegalArgumentException(op + ": shape " + str(to) + " is invalid for a tensor of shape "
                    + str(from) + " (" + n + " elements)");
        }
        return out;
    }

    static int[] ones(int rank) {
        int[] s = new int[rank];
        Arrays.fill(s, 1);
        return s;
    }
}
