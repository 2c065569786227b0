package dev.graft.models.data;

/** How strongly a training {@link Pipeline} augments; see {@link Pipeline#train}. */
public enum Augment {
    /** torchvision's ImageNet recipe: RandomResizedCrop(scale 0.08–1), flip, ColorJitter(0.4, 0.4, 0.4). */
    STANDARD,
    /** RandomResizedCrop(scale 0.6–1) and flip: for small datasets and fine-tuning near the pretrained input. */
    LIGHT,
    /** No augmentation: the evaluation transform. */
    NONE
}
