"""gpla: build and measure psychologically grounded value systems for LLMs (GPLA, GPV, Value Portrait)."""

__version__ = "0.1.0"
