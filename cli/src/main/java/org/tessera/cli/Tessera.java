package org.tessera.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code tessera} command: {@code devices}, {@code train}, {@code bench}, {@code gradcheck}, {@code tune}, {@code selftest}. */
@Command(name = "tessera", mixinStandardHelpOptions = true, version = "tessera 0.1.0-SNAPSHOT",
        description = "Deep learning on the JVM: CPU and OpenCL backends.",
        subcommands = {DevicesCommand.class, TrainCommand.class, BenchCommand.class, GradcheckCommand.class, TuneCommand.class, SelftestCommand.class, CommandLine.HelpCommand.class})
public final class Tessera {
    public static void main(String[] args) {
        System.setProperty("java.awt.headless", "true");    // charts are drawn without a display
        int code = new CommandLine(new Tessera())
                .setExecutionExceptionHandler((e, cmd, parsed) -> {
                    // a user's mistake (bad option value, missing data) reads as one line, not a stack trace
                    cmd.getErr().println(cmd.getColorScheme().errorText("tessera: " + e.getMessage()));
                    return e instanceof IllegalArgumentException || e instanceof java.io.IOException ? 2 : 1;
                })
                .execute(args);
        System.exit(code);
    }
}
