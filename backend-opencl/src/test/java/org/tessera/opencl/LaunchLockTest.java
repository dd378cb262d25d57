package org.tessera.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.tessera.DType;
import org.tessera.backend.Buffer;
import org.tessera.backend.Strided;
import org.tessera.backend.UnaryOp;
import org.tessera.testing.Requires;

/**
 * No thread waits on another thread's program build: while one thread's first I32 op is held inside its build (a hook
 * in the program cache), another thread launches and reads an F32 op whose program is built. Before the kernel lookup
 * moved out of the launch lock, the second thread blocked on that lock until the build ended (here: forever, so the
 * deadlock guard of 120 s, not a timing, fails it).
 */
class LaunchLockTest {

    private static Strided dense(Buffer b, int n) {
        return new Strided(b, new int[] {n}, new int[] {1}, 0);
    }

    @Test
    void aLaunchDoesNotWaitOnAnotherThreadsBuild() throws Exception {
        Requires.that(OpenClRuntime.unavailableReason() == null, "no OpenCL here: " + OpenClRuntime.unavailableReason());
        OpenClBackend be = new OpenClBackend(OpenClRuntime.devices().get(0));
        CountDownLatch building = new CountDownLatch(1), release = new CountDownLatch(1);
        try {
            Buffer x = be.allocate(DType.F32, 16), y = be.allocate(DType.F32, 16);
            be.write(x, new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16});
            be.unary(UnaryOp.NEG, 0, 0, dense(x, 16), dense(y, 16));      // builds the F32 elementwise program
            be.synchronize();

            be.programs().onBuild(() -> {
                building.countDown();
                try {
                    release.await(5, TimeUnit.MINUTES);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            AtomicReference<Throwable> failed = new AtomicReference<>();
            Thread other = new Thread(() -> {
                try {
                    Buffer i = be.allocate(DType.I32, 4), o = be.allocate(DType.I32, 4);
                    be.write(i, new int[] {1, -2, 3, -4});
                    be.unary(UnaryOp.NEG, 0, 0, dense(i, 4), dense(o, 4));  // the I32 program: built now, held in the hook
                    int[] back = new int[4];
                    be.read(dense(o, 4), back);
                    assertArrayEquals(new int[] {-1, 2, -3, 4}, back);
                } catch (Throwable t) {
                    failed.set(t);
                }
            }, "builder");
            other.start();
            assertTrue(building.await(2, TimeUnit.MINUTES), "the other thread reached its build");

            float[] back = new float[16];
            assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
                be.unary(UnaryOp.MUL_SCALAR, 3, 0, dense(x, 16), dense(y, 16));
                be.read(dense(y, 16), back);
            }, "a launch of a built kernel waited on another thread's build");
            assertTrue(back[15] == 48f, "3 x 16 = " + back[15]);

            release.countDown();
            other.join(TimeUnit.MINUTES.toMillis(5));
            if (failed.get() != null) throw new AssertionError("the building thread failed", failed.get());
        } finally {
            release.countDown();                                           // a failed wait must not leave the build held
            be.programs().onBuild(() -> {});
            be.close();
        }
    }
}
