"""learnroi.report layer."""
