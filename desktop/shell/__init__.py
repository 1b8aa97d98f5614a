"""The main window's collaborators: each takes one job off desktop.main_window (the shell of
menus and pages) — the worker queue, case navigation, the batch, export, saving, calipers in
the datastore, the menus and the layout. Qt lives here; the state they act on is in
desktop.models."""
