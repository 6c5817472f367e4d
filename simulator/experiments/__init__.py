"""Many replications on common random numbers: executors, the results store,
studies, sweeps, sensitivity analyses, their statistics and the model checks."""
