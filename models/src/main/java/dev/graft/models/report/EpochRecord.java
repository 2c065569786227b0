package dev.graft.models.report;

import java.util.List;

/**
 * One training epoch as the report shows it.
 *
 * @param epoch         the epoch's number, as the trainer counts them
 * @param valLoss       NaN when there is no validation set
 * @param valAccuracy   NaN when there is no validation set
 * @param lr            the learning rate at the epoch's end (the head's, when groups differ)
 * @param seconds       wall time of the epoch, validation included
 * @param imagesPerSec  training throughput
 * @param trainable     the names of the stages that were trainable during the epoch
 */
public record EpochRecord(int epoch, double trainLoss, double trainAccuracy, double valLoss, double valAccuracy,
                          double lr, double seconds, double imagesPerSec, List<String> trainable) {
    public EpochRecord {
        trainable = List.copyOf(trainable);
    }

    public boolean hasValidation() {
        return !Double.isNaN(valLoss) || !Double.isNaN(valAccuracy);
    }
}
