/**
 * What training shows and writes: {@link dev.graft.models.report.ClassificationMetrics} accumulates predictions
 * into a confusion matrix and its metrics, {@link dev.graft.models.report.Progress} draws an epoch's progress,
 * {@link dev.graft.models.report.TrainingReport} writes self-contained HTML reports of a training run and of an
 * lr-range test from {@link dev.graft.models.report.EpochRecord}s, and
 * {@link dev.graft.models.report.LrSuggestion} reads a learning rate off the range test.
 */
package dev.graft.models.report;
