--- Options of the PaCoRe plugin: defaults, validation, and the `vim.lsp.config` table.
local M = {}

--- Server keys of the `pacore` settings section (docs/lsp-protocol.md).
M.SETTING_TYPES = {
  baseUrl = "string",
  model = "string",
  apiKey = "string",
  preset = "string",
  rounds = { "string", "table" },
  sandbox = "string",
  image = "string",
  testPaths = "table",
  allowWeakTests = "boolean",
  keepDocstring = "boolean",
  backend = "string",
  contextBudget = "number",
  maxTokens = "number",
}

M.PRESETS = { low = true, medium = true, high = true }
M.SANDBOXES = { docker = true, ["local"] = true }

--- @return table fresh defaults (callers may mutate them)
function M.defaults()
  return {
    -- how to start the server; `python` (if set) wins: { python, "-m", "pacore_cli.main", "lsp" }
    cmd = { "pacore-lsp" },
    python = nil,
    filetypes = { "python" },
    root_markers = { "pyproject.toml", "setup.py", "setup.cfg", ".git" },
    -- the `pacore` settings section; empty means PACORE_* variables or [tool.pacore] apply
    settings = {},
    -- how :PacoreSolve progress is shown: "echo", "notify" or false (LspProgress still fires)
    progress = "echo",
  }
end

--- Problems with `settings` (a `pacore` section), one message per bad key.
--- @param settings table
--- @return string[]
function M.validate_settings(settings)
  local problems = {}
  for key, value in pairs(settings) do
    local want = M.SETTING_TYPES[key]
    if want == nil then
      table.insert(problems, ("unknown setting %q (see docs/lsp-protocol.md for the keys)"):format(key))
    else
      local types = type(want) == "table" and want or { want }
      if not vim.list_contains(types, type(value)) then
        table.insert(problems, ("setting %q must be a %s, got %s"):format(key, table.concat(types, " or "), type(value)))
      end
    end
  end
  if type(settings.preset) == "string" and settings.preset ~= "" and not M.PRESETS[settings.preset] then
    table.insert(problems, ("setting \"preset\" must be low, medium or high, got %q"):format(settings.preset))
  end
  if type(settings.sandbox) == "string" and settings.sandbox ~= "" and not M.SANDBOXES[settings.sandbox] then
    table.insert(problems, ("setting \"sandbox\" must be docker or local, got %q"):format(settings.sandbox))
  end
  local rounds = settings.rounds
  if type(rounds) == "string" and rounds ~= "" and not rounds:gsub("%s", ""):match("^%d+[%d,]*$") then
    table.insert(problems, ("setting \"rounds\" must look like \"32,4\", got %q"):format(rounds))
  end
  if type(rounds) == "table" then
    for _, k in ipairs(rounds) do
      if type(k) ~= "number" or k < 1 or k % 1 ~= 0 then
        table.insert(problems, "setting \"rounds\" must hold positive integers such as { 32, 4 }")
        break
      end
    end
  end
  return problems
end

--- Merge user options over the defaults.
--- @param opts table|nil
--- @return table
function M.resolve(opts)
  local cfg = vim.tbl_deep_extend("force", M.defaults(), opts or {})
  if opts and opts.cmd then
    cfg.cmd = opts.cmd -- lists replace, never merge element-wise
  end
  if cfg.python then
    cfg.cmd = { cfg.python, "-m", "pacore_cli.main", "lsp" }
  end
  if opts and opts.root_markers then
    cfg.root_markers = opts.root_markers
  end
  return cfg
end

--- The table handed to `vim.lsp.config("pacore", ...)`.
--- @param cfg table resolved options
--- @return vim.lsp.Config
function M.lsp_config(cfg)
  return {
    cmd = cfg.cmd,
    filetypes = cfg.filetypes,
    root_markers = cfg.root_markers,
    settings = { pacore = cfg.settings },
    init_options = { pacore = cfg.settings },
    handlers = {
      ["workspace/applyEdit"] = require("pacore.edits").apply_workspace_edit,
    },
  }
end

return M
