package dev.graft.models.train;

import dev.graft.models.report.ClassificationMetrics;
import dev.graft.models.report.EpochRecord;

/** What a run reports while it trains; the command line draws progress bars from it. All methods default to nothing. */
public interface TrainingListener {
    /** An informational line (data summary, cache timing, unfreezing, checkpoint notes). */
    default void log(String line) {
    }

    /** A warning (an unreadable file, a suspicious setting). */
    default void warn(String line) {
    }

    /** @param epoch 1-based */
    default void epochStarted(int epoch, int epochs, int batches) {
    }

    default void batchEnded(int batchesDone, double meanLoss, double accuracy, long images, double seconds) {
    }

    /**
     * After each optimizer step, with the network being trained: for inspection (logging weights, gradients);
     * a listener must not change it.
     */
    default void stepEnded(dev.graft.models.resnet.StagedNetwork network, long step) {
    }

    /** After validation and checkpointing; {@code val} is null without validation data. */
    default void epochEnded(EpochRecord record, ClassificationMetrics val) {
    }

    TrainingListener SILENT = new TrainingListener() {
    };
}
