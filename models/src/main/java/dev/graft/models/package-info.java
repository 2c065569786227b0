/**
 * Model catalogue: {@link dev.graft.models.ModelRegistry} builds the ResNet families of
 * {@link dev.graft.models.resnet} by name and gives each its {@link dev.graft.models.Preprocessing}.
 */
package dev.graft.models;
