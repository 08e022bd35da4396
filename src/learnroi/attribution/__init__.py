"""learnroi.attribution layer."""
