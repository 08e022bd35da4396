"""learnroi.simulate layer."""
