package org.tessera.cli;

import java.io.PrintStream;
import me.tongfei.progressbar.ProgressBarConsumer;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * The progress bars of long commands (train, bench), on standard error. On a terminal: one line redrawn in place four
 * times a second. Elsewhere (a CI log, a file, a pipe), where a carriage return does not move back but piles every
 * redraw into one line of a log: a plain line every {@link #LOG_INTERVAL_MILLIS}, and the final state.
 */
final class ProgressBars {
    static final int LOG_INTERVAL_MILLIS = 10_000;

    private ProgressBars() {}

    /** A builder for a bar of at most {@code width} characters, set for where standard error goes. */
    static ProgressBarBuilder builder(String task, long max, int width) {
        return builder(task, max, width, System.console() != null);
    }

    static ProgressBarBuilder builder(String task, long max, int width, boolean terminal) {
        ProgressBarBuilder b = new ProgressBarBuilder().setTaskName(task).setInitialMax(max).setStyle(ProgressBarStyle.ASCII).continuousUpdate();
        if (terminal) return b.setMaxRenderedLength(width).setUpdateIntervalMillis(250);
        return b.setConsumer(new Lines(System.err, width)).setUpdateIntervalMillis(LOG_INTERVAL_MILLIS);
    }

    /** Each redraw as a line of its own, except one that repeats the line before (the bar redraws as it closes). */
    private static final class Lines implements ProgressBarConsumer {
        private final PrintStream out;
        private final int width;
        private String last;

        Lines(PrintStream out, int width) {
            this.out = out;
            this.width = width;
        }

        @Override
        public int getMaxRenderedLength() {
            return width;
        }

        @Override
        public void accept(String rendered) {
            if (!rendered.equals(last)) out.println(rendered);
            last = rendered;
        }

        @Override
        public void close() {
            out.flush();
        }
    }
}
