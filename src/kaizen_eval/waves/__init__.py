"""waves stage of kaizen_eval."""

__all__: list[str] = []
