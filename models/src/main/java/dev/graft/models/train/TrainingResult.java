package dev.graft.models.train;

import dev.graft.models.report.EpochRecord;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How a run ended.
 *
 * @param finalValAccuracy  of the last epoch; NaN without validation
 * @param bestEpoch         1-based epoch of the saved best model
 * @param trainSeconds      wall time of the epochs this process ran (training and validation)
 * @param imagesPerSec      training images per second over those epochs
 * @param cacheSpeedup      first (feature-computing) epoch time over the mean of the later ones; NaN when no
 *                          feature cache was used or there was only one epoch
 */
public record TrainingResult(double finalValAccuracy, double bestValAccuracy, int bestEpoch, int epochs,
                             double trainSeconds, double imagesPerSec, long trainableParameters, int skippedFiles,
                             Path bestModel, Path lastCheckpoint, Path report, Path metrics, boolean featureCache,
                             double cacheSpeedup, boolean stoppedEarly, List<EpochRecord> history) {

    public TrainingResult {
        history = List.copyOf(history);
    }

    /** The fields of {@code graft train --json}. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("final_val_accuracy", finite(finalValAccuracy));
        m.put("best_val_accuracy", finite(bestValAccuracy));
        m.put("best_epoch", bestEpoch);
        m.put("epochs", epochs);
        m.put("train_seconds", trainSeconds);
        m.put("images_per_sec", imagesPerSec);
        m.put("trainable_parameters", trainableParameters);
        m.put("skipped_files", skippedFiles);
        m.put("feature_cache", featureCache);
        m.put("cache_speedup", finite(cacheSpeedup));
        m.put("stopped_early", stoppedEarly);
        m.put("best_model", bestModel.toString());
        m.put("last_checkpoint", lastCheckpoint.toString());
        m.put("report", report.toString());
        m.put("metrics", metrics.toString());
        return m;
    }

    private static Double finite(double v) {
        return Double.isFinite(v) ? v : null;
    }
}
