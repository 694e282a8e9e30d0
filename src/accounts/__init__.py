"""Users, tokens, auth guards, communities and organizers."""
