package org.tessera;

/**
 * Element types a tensor can hold. F32 is the default for floating-point data; I32 holds labels and indices.
 * F16 (IEEE binary16) and BF16 (bfloat16, the top half of an F32) are storage types: they halve the memory and the
 * bandwidth of a tensor, while every op computes in F32 and rounds its result once to the 16-bit type, as PyTorch's
 * CPU kernels do.
 */
public enum DType {
    F32(4, true),
    F64(8, true),
    I32(4, false),
    F16(2, true),
    BF16(2, true);

    private final int byteSize;
    private final boolean floating;

    DType(int byteSize, boolean floating) {
        this.byteSize = byteSize;
        this.floating = floating;
    }

    /** Bytes per element. */
    public int byteSize() {
        return byteSize;
    }

    /** True for F32, F64, F16 and BF16: the dtypes that can carry gradients. */
    public boolean isFloating() {
        return floating;
    }

    /** True for the 16-bit storage types F16 and BF16, whose host form is a {@code short[]} of their bits. */
    public boolean isHalf() {
        return byteSize == 2;
    }
}
