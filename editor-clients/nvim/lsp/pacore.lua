-- Base configuration of the PaCoRe language server for Neovim's built-in LSP client
-- (`vim.lsp.config` merges this file from 'runtimepath'). Without calling setup():
--
--   vim.lsp.config("pacore", { settings = { pacore = { baseUrl = "http://127.0.0.1:8000/v1" } } })
--   vim.lsp.enable("pacore")
--
-- require("pacore").setup() does the same and adds :PacoreSolve and friends.
return require("pacore.config").lsp_config(require("pacore.config").defaults())
