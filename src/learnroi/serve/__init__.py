"""learnroi.serve layer."""
