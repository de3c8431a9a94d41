"""Writers of the video app (one transaction per use case, logbook entry last)."""
