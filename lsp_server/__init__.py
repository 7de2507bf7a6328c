"""PaCoRe language server (pygls): code action, solve commands, progress, safe edits."""
