"""Person linking, by what is done: linking runs (``runs``: the batch run and the nightly
delta, with ``run_results``), linking one record now (``one_record``) and analysts' decisions
(``decisions``: the review queue, confirm, split, undo); ``config`` holds how linking runs."""
