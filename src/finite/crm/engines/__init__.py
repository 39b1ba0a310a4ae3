"""The CRM's work that differs by database engine: one class per engine (base.py), picked by
the kit's engine name (chosen.py)."""
