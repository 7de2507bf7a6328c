-- Minimal Neovim config for the tests: the plugin on 'runtimepath' and the same setup() call
-- as the README, with the values the test passes in the environment.
vim.opt.runtimepath:prepend(vim.env.PACORE_NVIM_PLUGIN)
vim.opt.swapfile = false
vim.opt.shortmess:append("F")

require("pacore").setup({
  python = vim.env.PACORE_PYTHON,
  settings = vim.json.decode(vim.env.PACORE_SETTINGS),
  progress = "echo",
})
