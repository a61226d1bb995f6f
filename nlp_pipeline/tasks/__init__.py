"""What the tool does with a model: classify files, suggest what to label, audit a corpus."""
