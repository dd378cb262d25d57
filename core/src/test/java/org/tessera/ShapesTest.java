package org.tessera;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Core's shape arithmetic, and core's behaviour with no backend on the class path. */
class ShapesTest {

    @Test
    void broadcastingFollowsNumPy() {
        assertArrayEquals(new int[] {3, 2, 4}, Shapes.broadcast(new int[] {3, 1, 4}, new int[] {2, 4}, "add"));
        assertArrayEquals(new int[] {5, 4}, Shapes.broadcast(new int[] {1}, new int[] {5, 4}, "add"));
        assertArrayEquals(new int[] {}, Shapes.broadcast(new int[] {}, new int[] {}, "add"));
        assertArrayEquals(new int[] {0, 3}, Shapes.broadcast(new int[] {0, 1}, new int[] {3}, "add"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Shapes.broadcast(new int[] {2, 3}, new int[] {4}, "mul"));
        assertTrue(e.getMessage().contains("mul") && e.getMessage().contains("[2, 3]") && e.getMessage().contains("[4]"));
    }

    @Test
    void reshapeInfersOneDimension() {
        assertArrayEquals(new int[] {2, 6}, Shapes.inferReshape(new int[] {3, 4}, new int[] {2, -1}, "reshape"));
        assertArrayEquals(new int[] {12}, Shapes.inferReshape(new int[] {3, 4}, new int[] {-1}, "reshape"));
        assertArrayEquals(new int[] {}, Shapes.inferReshape(new int[] {1, 1}, new int[] {}, "reshape"));
        assertThrows(IllegalArgumentException.class, () -> Shapes.inferReshape(new int[] {3, 4}, new int[] {-1, -1}, "reshape"));
        assertThrows(IllegalArgumentException.class, () -> Shapes.inferReshape(new int[] {3, 4}, new int[] {5, -1}, "reshape"));
        assertThrows(IllegalArgumentException.class, () -> Shapes.inferReshape(new int[] {3, 4}, new int[] {2, 2}, "reshape"));
    }

    @Test
    void negativeDimsCountFromTheEnd() {
        assertEquals(2, Shapes.dim(-1, 3, "sum"));
        assertEquals(0, Shapes.dim(-3, 3, "sum"));
        assertThrows(IllegalArgumentException.class, () -> Shapes.dim(3, 3, "sum"));
        assertThrows(IllegalArgumentException.class, () -> Shapes.dim(-4, 3, "sum"));
        assertThrows(IllegalArgumentException.class, () -> Shapes.numel(new int[] {1 << 16, 1 << 16}));
    }

    @Test
    void withoutABackendDevicesSayWhatToAdd() {
        // core's own tests run without any backend jar on the class path
        TesseraException e = assertThrows(TesseraException.class, () -> Device.of("cpu"));
        assertTrue(e.getMessage().contains("no backend named 'cpu'"), e.getMessage());
        assertTrue(e.getMessage().contains("tessera-backend-cpu"), e.getMessage());
        assertTrue(Device.available().isEmpty());
    }
}
