package org.tessera.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.tessera.Device;
import org.tessera.Tensor;

/**
 * Fashion-MNIST (Xiao et al., 2017): 60,000 training and 10,000 test images of 28x28 clothing items in 10
 * classes, in the IDX files of the original MNIST layout. Debian's {@code dataset-fashion-mnist} installs them
 * in {@link #DEBIAN_DIR}. Images are F32 {@code [N, 784]} in [0, 1], labels I32 {@code [N]}.
 */
public final class FashionMnist {
    /** Where Debian's {@code dataset-fashion-mnist} package puts the files. */
    public static final Path DEBIAN_DIR = Path.of("/usr/share/datasets/fashion-mnist");
    public static final String[] CLASSES = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
        "Ankle boot"};

    private final Tensor trainImages, trainLabels, testImages, testLabels;

    private FashionMnist(Tensor trainImages, Tensor trainLabels, Tensor testImages, Tensor testLabels) {
        this.trainImages = trainImages;
        this.trainLabels = trainLabels;
        this.testImages = testImages;
        this.testLabels = testLabels;
    }

    public static FashionMnist load(Path dir) throws IOException {
        return load(dir, Device.getDefault());
    }

    /** Loads the four files ({@code train-images-idx3-ubyte[.gz]} etc.) from {@code dir}, checking that they fit together. */
    public static FashionMnist load(Path dir, Device device) throws IOException {
        Tensor trainX = Idx.read(find(dir, "train-images-idx3-ubyte"), device), trainY = Idx.read(find(dir, "train-labels-idx1-ubyte"), device);
        Tensor testX = Idx.read(find(dir, "t10k-images-idx3-ubyte"), device), testY = Idx.read(find(dir, "t10k-labels-idx1-ubyte"), device);
        check(dir, "training", trainX, trainY);
        check(dir, "test", testX, testY);
        return new FashionMnist(trainX, trainY, testX, testY);
    }

    private static void check(Path dir, String split, Tensor x, Tensor y) throws IOException {
        if (x.dim() != 2 || x.shape(1) != 784 || y.dim() != 1 || x.shape(0) != y.shape(0)) {
            throw new IOException(dir + ": the " + split + " images " + java.util.Arrays.toString(x.shape()) + " and labels "
                    + java.util.Arrays.toString(y.shape()) + " do not fit together (expected [N, 784] and [N])");
        }
    }

    private static Path find(Path dir, String base) throws IOException {
        for (String name : new String[] {base + ".gz", base}) {
            Path p = dir.resolve(name);
            if (Files.isRegularFile(p)) return p;
        }
        throw new NoSuchFileException(dir.resolve(base + ".gz").toString(), null, missingMessage(dir));
    }

    /** How to get the data, for error messages. */
    public static String missingMessage(Path dir) {
        return "Fashion-MNIST is not in " + dir + ". On Debian/Ubuntu: sudo apt-get install dataset-fashion-mnist (installs it in "
                + DEBIAN_DIR + "); or download the four IDX files (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
                + "t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz) from https://github.com/zalandoresearch/fashion-mnist "
                + "into a directory and pass it";
    }

    public Tensor trainImages() { return trainImages; }
    public Tensor trainLabels() { return trainLabels; }
    public Tensor testImages() { return testImages; }
    public Tensor testLabels() { return testLabels; }

    /** The mean pixel value of the training images (the normalisation statistic). */
    public double trainMean() {
        return trainImages.mean().item();
    }

    /** The standard deviation of the training images' pixels (population form). */
    public double trainStd() {
        double m = trainMean();
        try (Tensor c = trainImages.sub(m); Tensor sq = c.mul(c); Tensor v = sq.mean()) {
            return Math.sqrt(v.item());
        }
    }

    /**
     * A copy whose images (training and test) are standardised with the training set's mean and standard
     * deviation: {@code (x - mean) / std}. Labels are shared.
     */
    public FashionMnist standardized() {
        double mean = trainMean(), std = trainStd();
        return new FashionMnist(trainImages.sub(mean).divi(std), trainLabels, testImages.sub(mean).divi(std), testLabels);
    }
}
