"""The demo company (``load_demo``), one seeder per app, and the word pools it shares with
``bench/``. At the top of the layers: it may import every app; no app imports it."""
