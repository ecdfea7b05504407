"""Neural networks (torch) that output positions; imported lazily by the training code."""

from deepmomentum.models._networks import MODEL_NAMES, LinearNet, LSTMNet, MLPNet, WaveNet, build_network
from deepmomentum.models._trend import TrendNet

__all__ = ["MODEL_NAMES", "LSTMNet", "LinearNet", "MLPNet", "TrendNet", "WaveNet", "build_network"]
