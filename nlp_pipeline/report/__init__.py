"""The summary report of a classified file: numbers (compute) and renderings (render)."""
