--- PaCoRe progress from the standard `LspProgress` autocmd.
---
--- Why the autocmd: Neovim turns server `$/progress` into `LspProgress` events, which
--- status-line plugins (fidget.nvim, lualine's lsp_progress, vim.lsp.status()) already follow;
--- this module only adds an optional echo/notify and a status() string for custom lines.
local M = {}

--- @class pacore.ProgressState
--- @field active table<string, {title: string, message: string|nil, percentage: number|nil}>
--- @field last string|nil the last message shown

--- @return pacore.ProgressState
function M.new_state()
  return { active = {}, last = nil }
end

--- Fold one `$/progress` params table into `state`; returns the line to show.
--- @param state pacore.ProgressState
--- @param params {token: integer|string, value: table}
--- @return string
function M.update(state, params)
  local token = tostring(params.token)
  local value = params.value or {}
  if value.kind == "begin" then
    state.active[token] = { title = value.title or "PaCoRe" }
  end
  local part = state.active[token] or { title = "PaCoRe" }
  if value.message then
    part.message = value.message
  end
  if value.percentage then
    part.percentage = value.percentage
  end
  local line = part.title
  if part.message then
    line = line .. ": " .. part.message
  end
  if part.percentage then
    line = ("%s (%d%%)"):format(line, part.percentage)
  end
  if value.kind == "end" then
    state.active[token] = nil
    line = part.title .. ": " .. (value.message or "done")
  end
  state.last = line
  return line
end

--- A short string for status lines: the running solves' progress, or "".
--- @param state pacore.ProgressState
--- @return string
function M.status(state)
  local lines = {}
  for _, part in pairs(state.active) do
    table.insert(lines, part.message and (part.title .. ": " .. part.message) or part.title)
  end
  table.sort(lines)
  return table.concat(lines, " | ")
end

--- Subscribe to `LspProgress` for the `pacore` client.
--- @param state pacore.ProgressState
--- @param display "echo"|"notify"|false
--- @param group integer augroup id
function M.attach(state, display, group)
  vim.api.nvim_create_autocmd("LspProgress", {
    group = group,
    pattern = { "begin", "report", "end" },
    desc = "PaCoRe: show solve progress",
    callback = function(ev)
      local client = vim.lsp.get_client_by_id(ev.data.client_id)
      if not client or client.name ~= "pacore" then
        return
      end
      local line = M.update(state, ev.data.params)
      if display == "notify" then
        vim.notify(line, vim.log.levels.INFO, { title = "PaCoRe" })
      elseif display == "echo" then
        vim.api.nvim_echo({ { line, "MoreMsg" } }, false, {})
      end
    end,
  })
end

return M
