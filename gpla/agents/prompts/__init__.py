"""Prompt builders, one module per agent. Pure functions: text in, ``ChatRequest`` or prompt text out."""
