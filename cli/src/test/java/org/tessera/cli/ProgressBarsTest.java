package org.tessera.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import me.tongfei.progressbar.ProgressBar;
import org.junit.jupiter.api.Test;

/** Off a terminal, a bar writes whole lines: no carriage returns piling every redraw into one line of a log. */
class ProgressBarsTest {
    @Test
    void offATerminalTheBarWritesPlainLinesEndingInTheFinalState() {
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try (ProgressBar bar = ProgressBars.builder("epoch 1/1", 50, 100, false).build()) {
            for (int i = 0; i < 50; i++) bar.step();
        } finally {
            System.setErr(err);
        }
        String log = captured.toString(StandardCharsets.UTF_8);
        assertFalse(log.contains("\r"), "carriage return in a non-terminal log: " + log);
        String[] lines = log.strip().split("\n");
        assertTrue(lines.length >= 1 && lines.length <= 3, "one line per 10 s and the last, got:\n" + log);
        String last = lines[lines.length - 1];
        assertTrue(last.contains("100%") && last.contains("50/50"), "the final state last: " + log);
        assertFalse(lines.length > 1 && lines[lines.length - 2].equals(last), "the final state twice: " + log);
    }
}
