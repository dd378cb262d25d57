package org.tessera;

/** Element types a tensor can hold. F32 is the default for floating-point data; I32 holds labels and indices. */
public enum DType {
    F32(4, true),
    F64(8, true),
    I32(4, false);

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

    /** True for F32 and F64: the dtypes that can carry gradients. */
    public boolean isFloating() {
        return floating;
    }
}
