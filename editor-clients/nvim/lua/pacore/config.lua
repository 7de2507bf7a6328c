--- Options of the PaCoRe plugin: defaults, validation, and the `vim.lsp.config` table.
local M = {}

--- The keys of the `pacore` settings section the server reads, with their Lua types and
--- allowed values: generated from the server's key table (docs/configuration.md).
M.SETTINGS = require("pacore.settings_table")

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

--- Problems with `settings` (a `pacore` section), one message per bad key. The server checks
--- values fully (and warns in turn); this catches unknown keys, wrong types and enum values.
--- @param settings table
--- @return string[]
function M.validate_settings(settings)
  local problems = {}
  for key, value in pairs(settings) do
    local spec = M.SETTINGS[key]
    if spec == nil then
      table.insert(problems, ("unknown setting %q (see docs/configuration.md for the keys)"):format(key))
    elseif not vim.list_contains(spec.types, type(value)) then
      table.insert(problems, ("setting %q must be a %s, got %s"):format(key, table.concat(spec.types, " or "), type(value)))
    elseif spec.enum and value ~= "" and not vim.list_contains(spec.enum, value) then
      table.insert(problems, ("setting %q must be %s, got %q"):format(key, table.concat(spec.enum, ", "), value))
    end
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
