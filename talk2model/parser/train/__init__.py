"""Training the parser's reader: invented schemas, training questions, the generator, alignment
of gold queries to grounded spans, the model and its training loop (`make parser`)."""
