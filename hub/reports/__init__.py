"""What operators and analysts read: ``mhub status``, the operations report, the statistics page.

``status`` is the table of every source's last run and the partner queues, ``operations``
the charts of records and quarantine per source and published per family, ``statistics``
the migration statistics page (HTML, PNG, CSV) over :mod:`hub.statistics`. The record does
not pass through here: these read the run summaries (:mod:`hub.runs`) and the figures the
consumers keep.
"""
