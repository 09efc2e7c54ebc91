"""Notifier: every email the platform sends, and its log."""
