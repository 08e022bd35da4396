"""learnroi.sources layer."""
