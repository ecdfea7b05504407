"""Neural networks (torch) that output positions; imported lazily by the training code."""

from deepmomentum.models._networks import (
    MODEL_NAMES,
    NETWORK_NAMES,
    NETWORKS,
    TFT_HEADS,
    LinearNet,
    LSTMNet,
    MLPNet,
    NetworkSpec,
    WaveNet,
    build_network,
    embedded_assets,
    network_spec,
)
from deepmomentum.models._tft import TFTNet
from deepmomentum.models._trend import TrendNet

__all__ = [
    "MODEL_NAMES",
    "NETWORKS",
    "NETWORK_NAMES",
    "TFT_HEADS",
    "LSTMNet",
    "LinearNet",
    "MLPNet",
    "NetworkSpec",
    "TFTNet",
    "TrendNet",
    "WaveNet",
    "build_network",
    "embedded_assets",
    "network_spec",
]
