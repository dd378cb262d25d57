package org.tessera.cpu;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.RecursiveAction;

/**
 * Data parallelism over index ranges on the device's ForkJoinPool. Work below a grain runs on the calling
 * thread: handing a task to another thread costs a few microseconds, more than small ops take.
 */
final class Parallel {

    @FunctionalInterface
    interface RangeBody {
        void run(int start, int end);
    }

    private final ForkJoinPool pool;
    private final int threads;

    Parallel(int threads) {
        this.threads = threads;
        this.pool = threads > 1 ? new ForkJoinPool(threads, p -> {
            var t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(p);
            t.setName("tessera-cpu-" + t.getPoolIndex());
            t.setDaemon(true);
            return t;
        }, null, false) : null;
    }

    int threads() {
        return threads;
    }

    /** Runs {@code body} over [0, n) split into pieces of at least {@code grain} indices. */
    void forRange(int n, int grain, RangeBody body) {
        if (n <= 0) return;
        int pieces = pool == null ? 1 : Math.min(threads * 4, Math.max(1, n / Math.max(1, grain)));
        if (pieces <= 1) {
            body.run(0, n);
            return;
        }
        Split root = new Split(body, n, pieces, 0, pieces);
        if (ForkJoinTask.getPool() == pool) root.invoke();   // already on a worker: fork in place
        else pool.invoke(root);
    }

    /** Recursive halving over piece indices, so forks form a tree rather than a queue. */
    private static final class Split extends RecursiveAction {
        private final RangeBody body;
        private final int n, pieces, from, to;

        Split(RangeBody body, int n, int pieces, int from, int to) {
            this.body = body;
            this.n = n;
            this.pieces = pieces;
            this.from = from;
            this.to = to;
        }

        @Override
        protected void compute() {
            if (to - from == 1) {
                body.run((int) ((long) n * from / pieces), (int) ((long) n * to / pieces));
                return;
            }
            int mid = (from + to) >>> 1;
            invokeAll(new Split(body, n, pieces, from, mid), new Split(body, n, pieces, mid, to));
        }
    }
}
