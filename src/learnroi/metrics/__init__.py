"""learnroi.metrics layer."""
