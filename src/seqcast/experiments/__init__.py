"""The experiments seqcast was specified from, each one call: the seed notes' small
experiments, the book's ridership ladder, and the published settings of the long-term
forecasting papers."""
