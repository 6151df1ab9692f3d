"""Monthly village and town reports (issue 18): figures counted from life events by the date
they happened, kept as monthly summary cells in the events' own transaction, with the lists the
plan asks for, sex ratio at birth with its interval, targets, locks and amendments, and their
faces (HTML, print, XLSX, JSON, CLI). Plain modules; the Flask views stay thin."""
