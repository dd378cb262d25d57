package org.tessera.nn;

import java.util.Arrays;
import org.tessera.Autocast;
import org.tessera.Checks;
import org.tessera.DType;
import org.tessera.Tensor;
import org.tessera.backend.BinaryOp;

/**
 * Loss functions, all mean-reduced as in PyTorch's defaults. Labels are I32 class indices; a label outside
 * [0, classes) throws {@link IllegalArgumentException} naming it and the class count, before any kernel runs.
 * Inside an {@link Autocast} region, 16-bit inputs are widened to F32 first, so losses are computed and returned in F32.
 */
public final class Losses {
    private Losses() {}

    /** Mean squared error {@code mean((pred - target)^2)}; shapes must match. */
    public static Tensor mse(Tensor pred, Tensor target) {
        if (!Arrays.equals(pred.shape(), target.shape())) {
            throw new IllegalArgumentException("mse: prediction " + Arrays.toString(pred.shape()) + " and target "
                    + Arrays.toString(target.shape()) + " must have the same shape");
        }
        return Autocast.widen(pred).sub(Autocast.widen(target)).pow(2).mean();
    }

    /** Cross-entropy of logits {@code [N, C]} against labels {@code [N]}: fused log-softmax and NLL, stable. */
    public static Tensor crossEntropy(Tensor logits, Tensor labels) {
        return logits.crossEntropy(labels).mean();
    }

    /** Negative log-likelihood of log-probabilities {@code [N, C]} (e.g. from logSoftmax) at labels {@code [N]}. */
    public static Tensor nll(Tensor logProbs, Tensor labels) {
        Checks.classLabels("nll", logProbs, labels);
        return Autocast.widen(logProbs).gather(1, labels.unsqueeze(1)).mean().neg();
    }

    /**
     * Multiclass hinge (SVM) loss with margin 1, as PyTorch's {@code multi_margin_loss}: per row
     * {@code sum over c != y of max(0, 1 - s[y] + s[c]) / C}, then the mean over rows.
     */
    public static Tensor multiMargin(Tensor scores, Tensor labels) {
        Checks.classLabels("multiMargin", scores, labels);
        int classes = scores.shape(1);
        scores = Autocast.widen(scores);
        Tensor correct = scores.gather(1, labels.unsqueeze(1));                 // [N, 1]
        Tensor margins = scores.sub(correct).add(1).relu();                    // the label's own column is max(0, 1) = 1
        return margins.sum(1, false).sub(1).div(classes).mean();
    }

    /**
     * Binary cross-entropy on logits, stable for any magnitude: {@code (1 - t) x + max(-x, 0) + log(1 + e^-|x|)}
     * per element ({@link BinaryOp#BCE_WITH_LOGITS}, one fused op with its own gradient {@code sigmoid(x) - t}),
     * mean over all elements; target holds probabilities in [0, 1] of the logits' shape.
     */
    public static Tensor binaryCrossEntropyWithLogits(Tensor logits, Tensor target) {
        if (!Arrays.equals(logits.shape(), target.shape())) {
            throw new IllegalArgumentException("binaryCrossEntropyWithLogits: logits " + Arrays.toString(logits.shape())
                    + " and target " + Arrays.toString(target.shape()) + " must have the same shape");
        }
        Tensor perElement = Autocast.widen(logits).binary(BinaryOp.BCE_WITH_LOGITS, Autocast.widen(target));
        Tensor loss = perElement.mean();
        perElement.close();
        return loss;
    }
}
