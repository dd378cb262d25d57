package org.tessera.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The train chart's loss curve: each point is the mean loss of the batches since the last reading, not the running mean. */
class LossCurveTest {
    @Test
    void eachPointIsTheMeanOfItsOwnWindowAtTheFractionOfTheEpochReached() {
        TrainCommand.LossCurve curve = new TrainCommand.LossCurve();
        curve.epochStarted(1, 40);
        for (int i = 0; i < 20; i++) curve.batchDone(10);
        curve.lossSoFar(2.0);                 // 200 samples at mean 2.0
        for (int i = 0; i < 20; i++) curve.batchDone(10);
        curve.lossSoFar(1.5);                 // 400 samples at mean 1.5: the second 200 averaged 1.0
        curve.epochStarted(2, 40);
        for (int i = 0; i < 20; i++) curve.batchDone(10);
        curve.lossSoFar(0.75);                // a new epoch starts its running mean afresh
        assertEquals(List.of(0.5, 1.0, 1.5), curve.x);
        assertEquals(List.of(2.0, 1.0, 0.75), curve.y);
    }
}
