package org.tessera;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * Rng's own log and cosine, the Box-Muller transform that every device repeats bit for bit: accurate to an ulp or
 * two against the JDK's correctly rounded-or-nearly StrictMath, over the whole range the transform feeds them.
 */
class RngTransformTest {

    private static double ulps(double got, double want) {
        return Math.abs(got - want) / Math.ulp(want);
    }

    @Test
    void logUnitIsWithinAnUlpOverEveryInputTheTransformMakes() {
        double worst = 0;
        // u1 = (w + 0.5) / 2^32 for every 32-bit word w: a sweep, the ends, and around powers of two and sqrt(1/2)
        for (long w = 0; w < (1L << 32); w += 4099) worst = Math.max(worst, ulps(Rng.logUnit((w + 0.5) * 0x1.0p-32), StrictMath.log((w + 0.5) * 0x1.0p-32)));
        for (long w : new long[] {0, 1, 2, 0xFFFFFFFFL, 0x80000000L, 0x7FFFFFFFL, 0xB504F333L, 0xB504F334L}) {
            double u = (w + 0.5) * 0x1.0p-32;
            worst = Math.max(worst, ulps(Rng.logUnit(u), StrictMath.log(u)));
        }
        assertTrue(worst <= 1, "worst error " + worst + " ulp");
        assertEquals(StrictMath.log(0.5 * 0x1.0p-32), Rng.logUnit(0.5 * 0x1.0p-32));
    }

    @Test
    void cosTurnsIsWithinTwoUlpsAndExactAtTheQuarters() {
        double worst = 0;
        for (long w = 0; w < (1L << 32); w += 4099) {
            // the reference takes the nearest quarter turn off exactly too (cos(2 pi t) = -sin(2 pi (t - 1/4)), ...):
            // StrictMath.cos of 2 pi t itself is off by thousands of ulps near the zeros of cos
            double t = w * 0x1.0p-32, quarter = Math.rint(t * 4), rest = t - quarter / 4;
            double angle = 2 * Math.PI * rest;
            double want = switch ((int) quarter & 3) {
                case 0 -> StrictMath.cos(angle);
                case 1 -> -StrictMath.sin(angle);
                case 2 -> -StrictMath.cos(angle);
                default -> StrictMath.sin(angle);
            };
            if (want != 0) worst = Math.max(worst, ulps(Rng.cosTurns((int) w), want));
        }
        assertTrue(worst <= 2, "worst error " + worst + " ulp");
        assertEquals(1.0, Rng.cosTurns(0));
        assertEquals(-1.0, Rng.cosTurns(0x80000000));
        assertEquals(0.0, Math.abs(Rng.cosTurns(0x40000000)));
        assertEquals(0.0, Math.abs(Rng.cosTurns(0xC0000000)));
        // near a zero: cos(pi/2 + d) = -sin(d), checked against sin of the exact small angle
        int w = 0x40000000 + 12345;
        assertEquals(-StrictMath.sin(12345 * 2 * Math.PI * 0x1.0p-32), Rng.cosTurns(w), 1e-22);
    }
}
