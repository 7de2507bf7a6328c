"""Command line interface: `pacore solve | bench | sandbox | lsp | doctor`."""
