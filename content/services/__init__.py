"""Content's business operations, one module per part: the job pipeline and its steps,
AI generation, translations, documents and publishing."""
