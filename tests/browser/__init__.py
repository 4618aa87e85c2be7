"""Browser tests of the widget."""
