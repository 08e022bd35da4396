"""learnroi.roi layer."""
