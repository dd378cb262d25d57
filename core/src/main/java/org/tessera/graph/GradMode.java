package org.tessera.graph;

/** Thread-local switches of autograd: whether ops record a graph, and anomaly detection. */
public final class GradMode {
    private static final ThreadLocal<boolean[]> ENABLED = ThreadLocal.withInitial(() -> new boolean[] {true});
    private static volatile boolean anomaly;

    private GradMode() {}

    public static boolean isEnabled() {
        return ENABLED.get()[0];
    }

    /** Sets grad mode on this thread and returns what it was (outside this package: {@link #enter}). */
    static boolean set(boolean on) {
        boolean[] flag = ENABLED.get();
        boolean before = flag[0];
        flag[0] = on;
        return before;
    }

    /** A grad-mode region: closing it restores the mode it replaced; {@link #close()} throws no checked exception. */
    public interface Region extends AutoCloseable {
        @Override
        void close();
    }

    /** Sets grad mode on this thread until the returned region is closed. */
    public static Region enter(boolean on) {
        boolean before = set(on);
        return () -> set(before);
    }

    public static boolean anomalyDetection() {
        return anomaly;
    }

    public static void setAnomalyDetection(boolean on) {
        anomaly = on;
    }
}
