/**
 * Datasets and their loading for training: {@link dev.graft.models.data.ImageFolder} lists a
 * {@code root/<class>/<files>} tree as an {@link dev.graft.models.data.ImageDataset};
 * {@link dev.graft.models.data.StratifiedSplit} carves a validation set out of it;
 * {@link dev.graft.models.data.Pipeline} holds torchvision's train and eval transforms for a model's
 * preprocessing; and {@link dev.graft.models.data.DataLoader} decodes, transforms and batches on graft's compute
 * pool, reproducibly from a seed.
 */
package dev.graft.models.data;
