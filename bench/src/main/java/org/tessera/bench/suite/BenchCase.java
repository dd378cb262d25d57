package org.tessera.bench.suite;

import org.tessera.Device;

/**
 * One thing to time: an op at a size. {@code work} is what one iteration does in the unit's terms (floating-point
 * operations for GFLOP/s, bytes moved for GB/s, examples for samples/s), so throughput = work / time. The
 * {@code peerSpec} is the line the peer scripts (bench/peers/peer.py) read: the same work in PyTorch or NumPy.
 */
public record BenchCase(String op, String label, long size, double work, Unit unit, String peerSpec, Setup setup) {

    public enum Unit {
        GFLOPS("GFLOP/s", 1e9), GBPS("GB/s", 1e9), SAMPLES("samples/s", 1);

        public final String label;
        final double scale;

        Unit(String label, double scale) {
            this.label = label;
            this.scale = scale;
        }
    }

    /** Makes the inputs on a device (outside the timing) and returns the body to time. */
    @FunctionalInterface
    public interface Setup {
        Body on(Device d);
    }

    /** One iteration; the harness synchronises the device after each. */
    public interface Body extends AutoCloseable {
        void run();

        @Override
        default void close() {}
    }

    /** A key naming the case across devices and peers, e.g. "gemm 1024". */
    public String key() {
        return op + " " + label;
    }

    public double throughput(double seconds) {
        return work / seconds / unit.scale;
    }
}
