package org.tessera.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.tessera.DType;
import org.tessera.Device;
import org.tessera.Tensor;
import org.tessera.optim.Optimizer;

/**
 * {@code --optimizer} names mean what PyTorch users read in them: "momentum" is torch.optim.SGD(momentum=0.9) (heavy
 * ball), "nesterov" adds nesterov=True. Worked example: p = 1, loss = p (gradient 1 every step), lr 0.1.
 * Heavy ball: buf 1, p 0.9; buf 1.9, p 0.71. Nesterov: d = 1 + 0.9 * 1, p 0.81; buf 1.9, d = 1 + 0.9 * 1.9, p 0.539.
 */
class OptimizerNamesTest {
    private static double afterTwoSteps(String name) {
        Tensor p = Tensor.of(Device.cpu(), new double[] {1}, 1).requiresGrad(true);
        try (Optimizer opt = MlpTrainer.optimizer(name, List.of(p), 0.1)) {
            for (int i = 0; i < 2; i++) {
                opt.zeroGrad();
                p.sum().backward();
                opt.step();
            }
        }
        assertEquals(DType.F64, p.dtype());
        return p.item();
    }

    @Test
    void momentumIsHeavyBallAndNesterovIsNesterov() {
        assertEquals(0.71, afterTwoSteps("momentum"), 1e-12);
        assertEquals(0.539, afterTwoSteps("nesterov"), 1e-12);
        assertEquals(0.8, afterTwoSteps("sgd"), 1e-12);
    }

    @Test
    void anUnknownNameListsTheKnownOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MlpTrainer.optimizer("adagrad", List.of(), 0.1));
        assertTrue(e.getMessage().contains("momentum, nesterov"), e.getMessage());
    }
}
