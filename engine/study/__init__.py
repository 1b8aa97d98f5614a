"""Multi-view cases (a study: named 2D views, one class per case): inference, analysis,
evaluation and the command-line batch."""
