"""Text: normalisation, segmentation (jieba-identical), word tokens, similarity."""
