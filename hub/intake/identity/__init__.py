"""Identity resolution inside stage 1: which person a record is about, and which fact it reports.

``registry`` resolves every identifier a record carries (IIN, documents, MRZ, names
across scripts via ``translit``) to one canonical person, stored by ``store`` in SQLite
or PostgreSQL; ``event_key`` turns the resolved person and the record's fields into the
key of the real-world fact. Next: the normalised candidate, keyed by that person, is
written to the intake topic by the stage-1 commit, and ``hub.publish`` dedups on the
fact key.
"""
