package org.tessera.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;

/**
 * {@code tessera train --spark}: the Fashion-MNIST job on Apache Spark. Implemented by tessera-spark, found with
 * {@link ServiceLoader} when it and Spark are on the class path (the tessera script puts them there for
 * {@code --spark}), so this jar carries no Spark.
 */
public interface SparkTraining {
    /** Where to find the implementation, for the error when it is absent. */
    String MISSING = "--spark needs tessera-spark and Apache Spark on the class path: run it through the tessera script (which builds them "
            + "and adds them on first use of --spark), or with spark-submit as the README shows";

    /**
     * Trains {@code c}'s model (its {@code devices} are not used: each worker resolves {@code device} on its executor) on
     * {@code workers} tasks (0: Spark's default parallelism) of the Spark application at {@code master} (null: the
     * master spark-submit configured). Checkpoints go to {@code checkpoints} (null: a new temporary directory, which
     * suits local[N]); a directory holding a checkpoint resumes from it. The stage reports when it ends, so
     * {@code listener} hears every epoch's batches and losses then, as a run on one device would have told them.
     */
    List<MlpTrainer.Epoch> train(MlpTrainer.Config c, String master, int workers, String device, Path checkpoints, MlpTrainer.Listener listener)
            throws IOException;

    static Optional<SparkTraining> find() {
        return ServiceLoader.load(SparkTraining.class).findFirst();
    }
}
