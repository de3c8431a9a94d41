"""Writers of the dispatch app (call-outs, interventions, schedules, timer health)."""
