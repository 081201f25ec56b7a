/* vt-comet-predictor.h: COMET's predictor P, a CIFAR ResNet (He et al.'s
 * option-A shortcuts, 6n + 2 layers) trained from scratch, and the saving
 * of a network that trained.
 *
 * P is the engine's trainable CIFAR ResNet (vt-trainable-resnet.c) and
 * not a network of its own: that one is bound to checkpoint tensors, so a
 * fresh P is a checkpoint of fresh weights written first, then opened. */
#pragma once

#include "io/vt-checkpoint.h"
#include "models/vt-trainable.h"

G_BEGIN_DECLS

/* Writes a CIFAR ResNet of @depth layers (8, 14, 20, 32, …: 6n + 2) with
 * @n_classes outputs to @path, initialized as the reference code
 * (akamaster/pytorch_resnet_cifar10) does: kaiming_normal_ (fan_in, gain
 * √2) on every convolution and the linear layer's weight, nn.Linear's
 * U(±1/√64) bias, BatchNorm weight 1, bias 0, running mean 0, variance 1;
 * drawn from @seed. */
gboolean vt_comet_predictor_write_initial (const char  *path,
                                           int          depth,
                                           int          n_classes,
                                           guint32      seed,
                                           GError     **error);

G_END_DECLS
