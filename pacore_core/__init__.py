"""PaCoRe engine: configuration, problems, prompting, compaction and the async round engine."""
