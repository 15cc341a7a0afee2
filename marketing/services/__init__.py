"""Marketing's business operations, one module per part: leads, consent, scoring,
intake, campaigns, content review, tracking, best hour, sequences, segments, reports
and CSV import."""
