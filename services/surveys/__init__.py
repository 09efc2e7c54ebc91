"""Surveys: questionnaires, answers and the evaluation report."""
