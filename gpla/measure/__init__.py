"""Measuring LLM subjects: who they are (subjects), what they answer (administration), and GPV's
aggregation of judged perceptions into the subjects × values matrix X."""
