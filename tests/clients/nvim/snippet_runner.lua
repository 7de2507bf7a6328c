-- Runs one Lua snippet from the README in a clean Neovim and reports the resulting
-- PaCoRe configuration as JSON. Environment: PACORE_NVIM_PLUGIN, PACORE_SNIPPET,
-- PACORE_TEST_RESULT.
vim.opt.runtimepath:prepend(vim.env.PACORE_NVIM_PLUGIN)
local out = {}
local ok, err = xpcall(function()
  local chunk = assert(loadfile(vim.env.PACORE_SNIPPET))
  local value = chunk()
  if type(value) == "table" and type(value.config) == "function" then
    value.config() -- a lazy.nvim plugin spec
  end
  local cfg = vim.lsp.config.pacore
  if cfg then
    out.cmd = cfg.cmd
    out.filetypes = cfg.filetypes
    out.settings = (cfg.settings or {}).pacore
  end
  out.commands = vim.tbl_keys(vim.api.nvim_get_commands({}))
  out.leader_ps = vim.fn.maparg("<leader>ps", "n")
  out.status = require("pacore").status()
  if vim.o.statusline ~= "" then
    out.statusline = vim.api.nvim_eval_statusline(vim.o.statusline, {}).str
  end
end, debug.traceback)
out.error = not ok and err or nil
local f = assert(io.open(vim.env.PACORE_TEST_RESULT, "w"))
f:write(vim.json.encode(out))
f:close()
vim.cmd("qa!")
