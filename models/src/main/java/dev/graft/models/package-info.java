/** ResNet families, preprocessing, datasets, training strategies, the graft CLI; filled by the models issue. */
package dev.graft.models;
