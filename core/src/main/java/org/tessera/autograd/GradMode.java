package org.tessera.autograd;

/** Thread-local switches of autograd: whether ops record a graph, and anomaly detection. */
public final class GradMode {
    private static final ThreadLocal<boolean[]> ENABLED = ThreadLocal.withInitial(() -> new boolean[] {true});
    private static volatile boolean anomaly;

    private GradMode() {}

    public static boolean isEnabled() {
        return ENABLED.get()[0];
    }

    static boolean set(boolean on) {
        boolean[] flag = ENABLED.get();
        boolean before = flag[0];
        flag[0] = on;
        return before;
    }

    public static boolean anomalyDetection() {
        return anomaly;
    }

    static void setAnomalyDetection(boolean on) {
        anomaly = on;
    }
}
