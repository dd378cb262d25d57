package org.tessera.cpu;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * Data parallelism over index ranges on the device's worker threads. The range is cut into pieces; the
 * calling thread claims pieces itself while idle workers are woken to claim the rest. Waking a parked
 * worker takes tens of microseconds, so a caller that simply waited for the workers lost more than it
 * gained on ops below ~1M elements (SplitThresholdBench); here a late worker finds nothing left and the
 * caller only ever waits for pieces a worker is already running. Work below a grain stays on the caller.
 */
final class Parallel {

    @FunctionalInterface
    interface RangeBody {
        void run(int start, int end);
    }

    /** Busy-wait iterations for a worker's last piece before parking: pieces are short. */
    private static final int SPINS = 1 << 12;

    private final ForkJoinPool pool;
    private final int threads;

    Parallel(int threads) {
        this.threads = threads;
        this.pool = threads > 1 ? new ForkJoinPool(threads - 1, p -> {
            var t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(p);
            t.setName("tessera-cpu-" + t.getPoolIndex());
            t.setDaemon(true);
            return t;
        }, null, true) : null;
    }

    /** Threads that work on one op: the caller plus the pool's workers. */
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
        Job job = new Job(body, n, pieces, Thread.currentThread());
        int helpers = Math.min(threads - 1, pieces - 1);
        for (int h = 0; h < helpers; h++) pool.execute(job::work);
        job.work();
        job.awaitAll();
    }

    /** One parallel op: pieces are claimed from a counter by whoever runs {@link #work()}. */
    private static final class Job {
        private final RangeBody body;
        private final int n, pieces;
        private final Thread caller;
        private final AtomicInteger next = new AtomicInteger();
        private final AtomicInteger done = new AtomicInteger();
        private final AtomicReference<Throwable> failure = new AtomicReference<>();

        Job(RangeBody body, int n, int pieces, Thread caller) {
            this.body = body;
            this.n = n;
            this.pieces = pieces;
            this.caller = caller;
        }

        void work() {
            for (int p; (p = next.getAndIncrement()) < pieces; ) {
                try {
                    if (failure.get() == null) body.run((int) ((long) n * p / pieces), (int) ((long) n * (p + 1) / pieces));
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                } finally {
                    if (done.incrementAndGet() == pieces && Thread.currentThread() != caller) LockSupport.unpark(caller);
                }
            }
        }

        void awaitAll() {
            for (int spin = 0; done.get() < pieces; spin++) {
                if (spin < SPINS) Thread.onSpinWait();
                else LockSupport.park(this);
            }
            Throwable t = failure.get();
            if (t instanceof RuntimeException r) throw r;
            if (t instanceof Error e) throw e;
            if (t != null) throw new IllegalStateException(t);
        }
    }
}
