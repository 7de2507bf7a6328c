--- PaCoRe for Neovim (0.11+): a thin client of the PaCoRe language server.
---
---   require("pacore").setup({
---     settings = { baseUrl = "http://127.0.0.1:8000/v1", model = "my-model", preset = "low" },
---   })
---
--- Commands: :PacoreSolve, :PacoreFix, :PacoreSolveAll[!], :PacoreCancel [id], :PacoreReport [id], :PacoreView [id];
--- health: :checkhealth pacore.
--- No keymaps are set; map `:PacoreSolve<CR>` yourself if you like.
local M = {}

local config = require("pacore.config")
local progress = require("pacore.progress")
local commands = require("pacore.commands")

--- Plugin state for this Neovim instance (not module-level: setup() can run again).
--- @type {options: table, progress: pacore.ProgressState, last_solve: table|nil}|nil
M.state = nil

--- Register the server, the user commands and the progress display.
--- @param opts table|nil see pacore.config.defaults()
function M.setup(opts)
  if vim.fn.has("nvim-0.11") ~= 1 then
    vim.notify("PaCoRe needs Neovim 0.11 or newer (vim.lsp.config)", vim.log.levels.ERROR)
    return
  end
  local options = config.resolve(opts)
  for _, problem in ipairs(config.validate_settings(options.settings)) do
    vim.notify("PaCoRe: " .. problem, vim.log.levels.WARN)
  end
  local state = { options = options, progress = progress.new_state(), last_solve = nil }
  M.state = state

  local group = vim.api.nvim_create_augroup("pacore", { clear = true })
  progress.attach(state.progress, options.progress, group)

  vim.api.nvim_create_user_command("PacoreSolve", function()
    commands.solve(state)
  end, { desc = "PaCoRe: solve the function stub under the cursor" })
  vim.api.nvim_create_user_command("PacoreFix", function()
    commands.fix(state)
  end, { desc = "PaCoRe: repair the function under the cursor, starting from it and its failing tests" })
  vim.api.nvim_create_user_command("PacoreSolveAll", function(a)
    commands.solve_all(state, a.bang)
  end, { bang = true, desc = "PaCoRe: solve every stub of this file, callees first (! = the workspace)" })
  vim.api.nvim_create_user_command("PacoreCancel", function(a)
    commands.cancel(a.args)
  end, { nargs = "?", desc = "PaCoRe: cancel a solve (all running solves without an id)" })
  vim.api.nvim_create_user_command("PacoreReport", function(a)
    commands.report(a.args)
  end, { nargs = "?", desc = "PaCoRe: show the last (or named) solve's report" })
  vim.api.nvim_create_user_command("PacoreView", function(a)
    commands.view(a.args)
  end, { nargs = "?", desc = "PaCoRe: write the last (or named) run's page and open it in the browser" })

  vim.lsp.config("pacore", config.lsp_config(options))
  vim.lsp.enable("pacore")
end

--- Progress of running solves, for status lines ("" when idle).
--- @return string
function M.status()
  return M.state and progress.status(M.state.progress) or ""
end

return M
