package org.tessera.cpu;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The promotion rule: windows of {@link KernelPromotion#WINDOW} trials, each kernel judged by its fastest trial of the
 * window, the candidate promoted after {@link KernelPromotion#WINS_NEEDED} windows in a row that it won.
 */
class KernelPromotionTest {

    /** Runs {@code windows} windows of identical trials; true if the race promoted by their end. */
    private static boolean windows(KernelPromotion.Race race, int windows, long candidate, long incumbent) {
        boolean promoted = false;
        for (int i = 0; i < windows * KernelPromotion.WINDOW; i++) promoted = race.trial(candidate, incumbent);
        return promoted;
    }

    @Test
    void aFasterCandidatePromotesAfterEnoughWindowsNotBefore() {
        KernelPromotion.Race race = new KernelPromotion.Race();
        assertFalse(windows(race, KernelPromotion.WINS_NEEDED - 1, 200, 260));
        for (int i = 0; i < KernelPromotion.WINDOW - 1; i++) assertFalse(race.trial(200, 260), "promoted mid-window");
        assertTrue(race.trial(200, 260));
    }

    @Test
    void aLostWindowStartsTheCountAgain() {
        KernelPromotion.Race race = new KernelPromotion.Race();
        assertFalse(windows(race, KernelPromotion.WINS_NEEDED - 1, 200, 260));
        assertFalse(windows(race, 1, 300, 260));
        assertFalse(windows(race, KernelPromotion.WINS_NEEDED - 1, 200, 260));
        assertTrue(windows(race, 1, 200, 260));
    }

    /** A slower candidate whose single trials beat the incumbent's preempted ones (the user's threads) never wins. */
    @Test
    void preemptedIncumbentTrialsDoNotPromoteASlowerCandidate() {
        KernelPromotion.Race race = new KernelPromotion.Race();
        for (int i = 0; i < 100 * KernelPromotion.WINDOW; i++) {
            // the incumbent 280 us at best, preempted to 6 ms in all but one trial per window; the candidate a steady 900 us
            long incumbent = i % KernelPromotion.WINDOW == 3 ? 280_000 : 6_000_000;
            assertFalse(race.trial(900_000, incumbent), "promoted at trial " + i);
        }
    }
}
