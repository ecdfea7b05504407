"""deepmomentum."""
