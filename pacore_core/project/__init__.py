"""Project mode: a stub solved inside a copy of its project, shared by the editor and the CLI.

`targeting` finds stubs (tree-sitter), `workspace_tests` finds the tests that use them,
`context` turns one into a `Problem`, `splice` puts a candidate into its module, and
`splicing` is the sandbox view that runs each candidate in the project with it spliced in.
"""
