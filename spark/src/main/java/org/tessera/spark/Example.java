package org.tessera.spark;

import java.io.Serializable;

/** One labelled training example of an RDD given to {@link SparkTrainer}: its features and its class. */
public record Example(float[] features, int label) implements Serializable {
    public Example {
        if (features == null || features.length == 0) throw new IllegalArgumentException("an example needs at least one feature");
        if (label < 0) throw new IllegalArgumentException("class labels are 0 or more, got " + label);
    }
}
