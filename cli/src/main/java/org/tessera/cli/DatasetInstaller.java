package org.tessera.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.tessera.data.FashionMnist;

/**
 * Gets Fashion-MNIST for {@code tessera train} where it is missing, from the system's package manager only: as root
 * with apt-get (or through passwordless sudo) it installs Debian's {@code dataset-fashion-mnist}, saying so first;
 * elsewhere it stops with the one command to run. Nothing is downloaded from anywhere else.
 */
final class DatasetInstaller {
    static final String PACKAGE = "dataset-fashion-mnist";

    /** Runs a command with its output shown to the user; returns its exit status. */
    interface Runner {
        int run(List<String> command) throws IOException, InterruptedException;
    }

    private final Runner runner;
    /** Where the package puts the files (FashionMnist.DEBIAN_DIR; a test's folder in tests). */
    private final Path packageDir;
    private final boolean root, aptGet, sudo;

    DatasetInstaller(Runner runner, Path packageDir, boolean root, boolean aptGet, boolean sudo) {
        this.runner = runner;
        this.packageDir = packageDir;
        this.root = root;
        this.aptGet = aptGet;
        this.sudo = sudo;
    }

    /** What this machine allows: the process's user, whether apt-get is there and sudo asks for no password. */
    static DatasetInstaller forThisMachine() {
        Runner quiet = command -> new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
        boolean root = isRoot(), apt = Files.isExecutable(Path.of("/usr/bin/apt-get"));
        boolean sudo = false;
        if (!root && apt && Files.isExecutable(Path.of("/usr/bin/sudo"))) {
            try {
                sudo = quiet.run(List.of("sudo", "-n", "true")) == 0;
            } catch (IOException e) {
                sudo = false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return new DatasetInstaller(DatasetInstaller::runShowingOutput, FashionMnist.DEBIAN_DIR, root, apt, sudo);
    }

    /**
     * Makes sure {@code dir} holds the data: nothing to do when it is there; installs the package when {@code dir} is
     * the package's own directory and this machine allows it; otherwise an IOException that says what to run.
     */
    void ensure(Path dir, boolean install, PrintWriter out) throws IOException {
        if (Files.isDirectory(dir)) return;
        boolean packageDirAsked = dir.toAbsolutePath().normalize().equals(packageDir);
        if (!packageDirAsked || !install || !aptGet || !(root || sudo)) {
            throw new IOException(FashionMnist.missingMessage(dir) + (packageDirAsked && install && aptGet
                    ? " (tessera train installs it itself when run as root or with passwordless sudo)" : ""));
        }
        List<String> installCommand = command("apt-get", "install", "-y", "-q", PACKAGE);
        out.println("Fashion-MNIST is missing: installing Debian's " + PACKAGE + " (" + String.join(" ", installCommand) + ")");
        out.flush();
        // a machine whose package lists were never fetched (a fresh container) knows no package: update once, retry
        if (run(installCommand) != 0 && (run(command("apt-get", "update", "-q")) != 0 || run(installCommand) != 0)) {
            throw new IOException("could not install " + PACKAGE + " with '" + String.join(" ", installCommand)
                    + "' (see apt-get's output above); " + FashionMnist.missingMessage(dir));
        }
        if (!Files.isDirectory(dir)) {
            throw new IOException(PACKAGE + " was installed but " + dir + " is still missing; " + FashionMnist.missingMessage(dir));
        }
    }

    private List<String> command(String... words) {
        List<String> c = new ArrayList<>();
        if (!root) c.addAll(List.of("sudo", "-n"));
        c.addAll(List.of(words));
        return c;
    }

    private int run(List<String> command) throws IOException {
        try {
            return runner.run(command);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running " + String.join(" ", command), e);
        }
    }

    private static int runShowingOutput(List<String> command) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).inheritIO();
        pb.environment().put("DEBIAN_FRONTEND", "noninteractive");
        return pb.start().waitFor();
    }

    private static boolean isRoot() {
        try {
            return Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return false;   // not Linux, or no unix attribute view: treated as an ordinary user
        }
    }
}
