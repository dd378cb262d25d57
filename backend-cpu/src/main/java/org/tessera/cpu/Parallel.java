package org.tessera.cpu;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * Data parallelism over index ranges on the device's worker threads. The range is cut into pieces; the calling
 * thread claims pieces itself while the workers claim the rest, so the caller only ever waits for pieces a worker
 * is already running. Work below a grain stays on the caller.
 *
 * <p>Waking a parked thread is slow here: 50-200 us on average and up to milliseconds on this machine kind's
 * virtual CPUs (measured: a caller that parked while waiting for the last piece returned 0.3-0.7 ms late on 1.1 ms
 * of work). So both sides spin before they park, as OpenMP's active wait policy does for a while: an idle worker
 * polls for the next job for {@link #SPIN_NANOS} (a training step's ops come back to back) and a caller waits for
 * running pieces by spinning (they are short by construction) for up to {@link #AWAIT_SPIN_NANOS}.
 */
final class Parallel {

    @FunctionalInterface
    interface RangeBody {
        void run(int start, int end);
    }

    /** How long an idle worker polls for work before it parks (property tessera.cpu.spinMicros, default 200). */
    static final long SPIN_NANOS = Long.getLong("tessera.cpu.spinMicros", 200) * 1000;
    /** How long a caller spins for the pieces still running before it parks. */
    private static final long AWAIT_SPIN_NANOS = 5_000_000;

    private final int threads;
    /** Jobs offered to the workers: one entry per helper a job asks for; a late worker finds its job finished. */
    private final ConcurrentLinkedQueue<Job> queue = new ConcurrentLinkedQueue<>();
    private final Worker[] workers;

    Parallel(int threads) {
        this.threads = threads;
        this.workers = new Worker[Math.max(0, threads - 1)];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker(i);
            workers[i].start();
        }
    }

    /** Threads that work on one op: the caller plus the workers. */
    int threads() {
        return threads;
    }

    /** Runs {@code body} over [0, n) split into pieces of at least {@code grain} indices. */
    void forRange(int n, int grain, RangeBody body) {
        if (n <= 0) return;
        int pieces = workers.length == 0 ? 1 : Math.min(threads * 4, Math.max(1, n / Math.max(1, grain)));
        if (pieces <= 1) {
            body.run(0, n);
            return;
        }
        Job job = new Job(body, n, pieces, Thread.currentThread());
        int helpers = Math.min(workers.length, pieces - 1);
        for (int h = 0; h < helpers; h++) queue.add(job);
        // after the jobs are queued: a worker that set parked before this read sees the queue non-empty (Dekker)
        for (Worker w : workers) if (w.parked) LockSupport.unpark(w);
        job.work();
        job.awaitAll();
    }

    /** A pool thread: runs queued jobs, polls for the next one for a while, then parks until one is offered. */
    private final class Worker extends Thread {
        volatile boolean parked;

        Worker(int index) {
            super("tessera-cpu-" + index);
            setDaemon(true);
        }

        @Override
        public void run() {
            long idleSince = System.nanoTime();
            for (;;) {
                Job job = queue.poll();
                if (job != null) {
                    job.work();
                    idleSince = System.nanoTime();
                    continue;
                }
                if (System.nanoTime() - idleSince < SPIN_NANOS) {
                    Thread.onSpinWait();
                    continue;
                }
                parked = true;
                if (queue.isEmpty()) LockSupport.park(this);
                parked = false;
                idleSince = System.nanoTime();
            }
        }
    }

    /** One parallel op: pieces are claimed from a counter by whoever runs {@link #work()}. */
    private static final class Job {
        private final RangeBody body;
        private final int n, pieces;
        private final Thread caller;
        private final AtomicInteger next = new AtomicInteger();
        private final AtomicInteger done = new AtomicInteger();
        private final AtomicReference<Throwable> failure = new AtomicReference<>();
        private volatile boolean callerParked;

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
                    if (done.incrementAndGet() == pieces && Thread.currentThread() != caller && callerParked) LockSupport.unpark(caller);
                }
            }
        }

        void awaitAll() {
            long start = System.nanoTime();
            for (int spin = 0; done.get() < pieces; spin++) {
                if ((spin & 63) != 0 || System.nanoTime() - start < AWAIT_SPIN_NANOS) {
                    Thread.onSpinWait();
                    continue;
                }
                callerParked = true;
                if (done.get() < pieces) LockSupport.park(this);
                callerParked = false;
            }
            Throwable t = failure.get();
            if (t instanceof RuntimeException r) throw r;
            if (t instanceof Error e) throw e;
            if (t != null) throw new IllegalStateException(t);
        }
    }
}
