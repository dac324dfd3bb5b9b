"""Where the model stages run when not in this process: ``ray_batches`` sends a stage's checkpoint
batches to a Ray Data actor pool (``gpla run --engine ray``); ``ray_cluster`` connects to the cluster
and sizes the pool from what it reports."""
