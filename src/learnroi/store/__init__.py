"""learnroi.store layer."""
