"""Mail that must not be lost: queued with the change that asks for it, sent after the commit by
a worker, retried on failure, its history readable by what it is about."""
