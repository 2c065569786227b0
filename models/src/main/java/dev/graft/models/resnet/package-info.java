/**
 * The ResNet families with PyTorch's parameter names: torchvision's ImageNet ResNets, ResNeXt and Wide ResNet
 * ({@link dev.graft.models.resnet.ResNet}) and the CIFAR ResNets ({@link dev.graft.models.resnet.CifarResNet}),
 * both {@link dev.graft.models.resnet.StagedNetwork}s whose stages freeze as units.
 */
package dev.graft.models.resnet;
