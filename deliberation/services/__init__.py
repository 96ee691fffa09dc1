"""Services: the only code that changes state. Each checks its rule, runs in one
transaction and writes its trace entry."""
