"""Inside learning: the convolution animator, gradient checking and flow, init
statistics, optimizers, regularization."""
