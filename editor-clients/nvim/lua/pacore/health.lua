--- :checkhealth pacore — Neovim version, server executable, settings, and the server's own
--- `pacore.doctor` checks (Docker, sandbox image, model endpoint) when it is attached.
local M = {}

local config = require("pacore.config")

--- The effective configuration: setup()'s options, else vim.lsp.config's "pacore".
--- @return table cmd, table settings
local function effective()
  local state = require("pacore").state
  if state then
    return state.options.cmd, state.options.settings
  end
  local ok, cfg = pcall(function()
    return vim.lsp.config.pacore
  end)
  if ok and cfg then
    return cfg.cmd or {}, (cfg.settings or {}).pacore or {}
  end
  return config.defaults().cmd, {}
end

local function check_doctor(client)
  local response = client:request_sync("workspace/executeCommand", { command = "pacore.doctor", arguments = {} }, 60000)
  if not response then
    vim.health.error("pacore.doctor did not answer within 60 s")
    return
  end
  if response.err then
    vim.health.error("pacore.doctor failed: " .. (response.err.message or vim.inspect(response.err)))
    return
  end
  for _, check in ipairs((response.result or {}).checks or {}) do
    local line = ("%s: %s"):format(check.name, check.message or "")
    if check.ok then
      vim.health.ok(line)
    else
      vim.health.error(line, check.fix and check.fix ~= vim.NIL and { check.fix } or nil)
    end
  end
end

function M.check()
  vim.health.start("PaCoRe: Neovim")
  if vim.fn.has("nvim-0.11") == 1 then
    vim.health.ok("Neovim " .. tostring(vim.version()))
  else
    vim.health.error("Neovim 0.11 or newer is needed (vim.lsp.config)")
  end

  vim.health.start("PaCoRe: server")
  local cmd, settings = effective()
  local exe = type(cmd) == "table" and cmd[1] or nil
  local path = exe and vim.fn.exepath(exe) or ""
  if path ~= "" then
    vim.health.ok(("server executable: %s (%s)"):format(table.concat(cmd, " "), path))
  else
    vim.health.error(("server executable not found: %s"):format(tostring(exe)), {
      "pip install pacore-code (it provides pacore-lsp) in the environment on your PATH",
      'or setup({ python = "/path/to/python" }) for a virtualenv that has pacore-code',
    })
  end

  vim.health.start("PaCoRe: settings")
  local problems = config.validate_settings(settings)
  if #problems == 0 then
    vim.health.ok("settings are valid")
  end
  for _, problem in ipairs(problems) do
    vim.health.error(problem)
  end
  if (settings.baseUrl or "") == "" and (vim.env.PACORE_BASE_URL or "") == "" then
    vim.health.warn("no model endpoint: set settings.baseUrl or PACORE_BASE_URL", {
      "e.g. baseUrl = \"http://127.0.0.1:8000/v1\" for `python -m vllm.entrypoints.openai.api_server`",
    })
  end

  vim.health.start("PaCoRe: pacore.doctor")
  local clients = vim.lsp.get_clients({ name = "pacore" })
  if #clients == 0 then
    vim.health.info("the server is not attached: open a Python file, then run :checkhealth pacore again")
    return
  end
  check_doctor(clients[1])
end

return M
