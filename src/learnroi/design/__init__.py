"""learnroi.design layer."""
